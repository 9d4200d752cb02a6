"""How a journey is doing, in all and step by step: four aggregate statements, whatever its size.

- **Runs** (``automation_runs``): entered (every run), active (not final), waiting (asleep until a
  due time), completed, exited by goal, exited otherwise (an order reversed, the owner stopped it),
  failed.
- **Steps** (``automation_step_events``, one row per step a run executed): how many runs reached each
  step and how it went for them (done, skipped, failed, exited, waiting), the credit granted, the
  coupons issued and how many of those were redeemed (a live redemption in ``coupon_redemptions``).
- **Messages** (the events' ``outbound_messages``): queued by the journey, sent (handed to the
  provider), their parts, and their cost: parts sent × the part
  price the caller passes (``REVISIT_SMS_PART_PRICE``).
- **Revenue**: the store's purchase orders (processing, completed, on-hold) a customer placed within
  the journey's ``attribution_days`` after a message of the journey was sent to them, net of refunds.
  Each order counts once, for the step whose message came last before it (last touch).

Steps are listed in the order of the journey's current definition; a step of an earlier version that
has events but is no longer in the definition follows, in the order it was first used.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Final
from uuid import UUID

from tortoise import Tortoise

from domain.automation.models import Automation
from domain.customers.service import PURCHASE_STATUSES
from domain.errors import NotFound

SENT_STATUSES: Final = ("sent",)
"""Message states that reached the provider (and so were paid for); delivery reports come after."""

DEFAULT_ATTRIBUTION_DAYS: Final = 7


@dataclass(frozen=True)
class StepStatistics:
    """One step of a journey: what the runs that reached it did there, and what it cost and brought."""

    step_id: str
    type: str | None = None
    reached: int = 0
    done: int = 0
    skipped: int = 0
    failed: int = 0
    exited: int = 0
    waiting: int = 0
    messages: int = 0
    messages_sent: int = 0
    parts_sent: int = 0
    cost: int = 0
    credit_granted: int = 0
    coupons_issued: int = 0
    coupons_redeemed: int = 0
    attributed_orders: int = 0
    revenue: int = 0


@dataclass(frozen=True)
class JourneyStatistics:
    """A journey in all (every version) and per step. Money is in minor units of the store's
    currency; ``cost`` in the currency of the part price."""

    automation_id: UUID
    attribution_days: int
    entered: int = 0
    active: int = 0
    waiting: int = 0
    completed: int = 0
    exited_by_goal: int = 0
    exited_otherwise: int = 0
    failed: int = 0
    messages: int = 0
    messages_sent: int = 0
    parts_sent: int = 0
    cost: int = 0
    credit_granted: int = 0
    coupons_issued: int = 0
    coupons_redeemed: int = 0
    attributed_orders: int = 0
    revenue: int = 0
    steps: list[StepStatistics] = field(default_factory=list)


_RUNS = """
SELECT count(*) AS entered,
       count(*) FILTER (WHERE r.state IN ('pending', 'waiting', 'running')) AS active,
       count(*) FILTER (WHERE r.state = 'waiting') AS waiting,
       count(*) FILTER (WHERE r.state = 'completed') AS completed,
       count(*) FILTER (WHERE r.state = 'exited' AND r.exit_reason = 'goal') AS exited_by_goal,
       count(*) FILTER (WHERE r.state = 'exited' AND r.exit_reason IS DISTINCT FROM 'goal')
           AS exited_otherwise,
       count(*) FILTER (WHERE r.state = 'failed') AS failed
FROM automation_runs AS r WHERE r.tenant_id = $1 AND r.automation_id = $2
"""

_WAITING_AT = """
SELECT last.step_id, count(*) AS waiting FROM (
    SELECT DISTINCT ON (e.run_id) e.run_id, e.step_id
    FROM automation_runs AS r
    JOIN automation_step_events AS e ON e.tenant_id = r.tenant_id AND e.run_id = r.id
    WHERE r.tenant_id = $1 AND r.automation_id = $2 AND r.state = 'waiting'
    ORDER BY e.run_id, e.occurred_at DESC, e.id DESC
) AS last
GROUP BY last.step_id
"""
"""Where each sleeping run sleeps: the step of its latest event (the wait, or a deferred SMS) — its
``current_step_id`` already names the step it will wake up to."""

_STEPS = """
SELECT e.step_id, min(e.occurred_at) AS first_at,
       count(DISTINCT e.run_id) AS reached,
       count(*) FILTER (WHERE e.outcome = 'done') AS done,
       count(*) FILTER (WHERE e.outcome = 'skipped') AS skipped,
       count(*) FILTER (WHERE e.outcome = 'failed') AS failed,
       count(*) FILTER (WHERE e.outcome = 'exited') AS exited,
       count(m.id) AS messages,
       count(m.id) FILTER (WHERE m.status = ANY($3::text[])) AS messages_sent,
       COALESCE(sum(m.parts) FILTER (WHERE m.status = ANY($3::text[])), 0) AS parts_sent,
       COALESCE(sum(e.credit_amount), 0) AS credit_granted,
       count(DISTINCT e.coupon_id) AS coupons_issued,
       count(DISTINCT e.coupon_id) FILTER (WHERE EXISTS (
           SELECT 1 FROM coupon_redemptions AS cr
           WHERE cr.tenant_id = e.tenant_id AND cr.coupon_id = e.coupon_id AND cr.state = 'redeemed'
       )) AS coupons_redeemed
FROM automation_step_events AS e
LEFT JOIN outbound_messages AS m ON m.tenant_id = e.tenant_id AND m.id = e.message_id
WHERE e.tenant_id = $1 AND e.automation_id = $2
GROUP BY e.step_id
"""

_REVENUE = """
WITH sent AS (
    SELECT e.step_id, r.customer_id, m.sent_at
    FROM automation_step_events AS e
    JOIN automation_runs AS r ON r.tenant_id = e.tenant_id AND r.id = e.run_id
    JOIN outbound_messages AS m ON m.tenant_id = e.tenant_id AND m.id = e.message_id
    WHERE e.tenant_id = $1 AND e.automation_id = $2 AND m.sent_at IS NOT NULL
      AND m.status = ANY($5::text[])
), touched AS (
    SELECT DISTINCT ON (o.id) o.id, s.step_id, GREATEST(o.total - o.refunded_total, 0) AS revenue
    FROM sent AS s
    JOIN orders AS o ON o.tenant_id = $1 AND o.customer_id = s.customer_id
     AND o.placed_at > s.sent_at AND o.placed_at <= s.sent_at + make_interval(days => $3)
    WHERE o.status = ANY($4::text[])
    ORDER BY o.id, s.sent_at DESC
)
SELECT step_id, count(*) AS orders, COALESCE(sum(revenue), 0) AS revenue FROM touched GROUP BY step_id
"""


async def journey_statistics(*, tenant_id: UUID, automation_id: UUID, part_price: int) -> JourneyStatistics:
    """The statistics of one of the store's journeys; ``NOT_FOUND`` for another store's (or none).

    ``part_price`` is what one SMS part costs, for ``cost``. Reads only; needs no transaction.
    """
    automation = await Automation.get_or_none(id=automation_id, tenant_id=tenant_id)
    if automation is None:
        raise NotFound("Automation")
    connection = Tortoise.get_connection("default")
    definition: dict[str, Any] = automation.definition if isinstance(automation.definition, dict) else {}
    attribution = int(definition.get("attribution_days") or DEFAULT_ATTRIBUTION_DAYS)
    keys = [tenant_id, automation_id]
    [runs] = await connection.execute_query_dict(_RUNS, keys)
    waiting = {
        row["step_id"]: int(row["waiting"]) for row in await connection.execute_query_dict(_WAITING_AT, keys)
    }
    events = await connection.execute_query_dict(_STEPS, [*keys, list(SENT_STATUSES)])
    revenue = {
        row["step_id"]: row
        for row in await connection.execute_query_dict(
            _REVENUE, [*keys, attribution, list(PURCHASE_STATUSES), list(SENT_STATUSES)]
        )
    }
    steps = _ordered_steps(definition, events)
    for index, step in enumerate(steps):
        event = next((row for row in events if row["step_id"] == step.step_id), None)
        touched = revenue.get(step.step_id)
        counts: dict[str, Any] = _step_counts(event, part_price) if event else {}
        counts["waiting"] = waiting.get(step.step_id, 0)
        counts["attributed_orders"] = int(touched["orders"]) if touched else 0
        counts["revenue"] = int(touched["revenue"]) if touched else 0
        steps[index] = replace(step, **counts)
    return JourneyStatistics(
        automation_id=automation.id,
        attribution_days=attribution,
        **{name: int(value) for name, value in runs.items()},
        messages=sum(step.messages for step in steps),
        messages_sent=sum(step.messages_sent for step in steps),
        parts_sent=sum(step.parts_sent for step in steps),
        cost=sum(step.cost for step in steps),
        credit_granted=sum(step.credit_granted for step in steps),
        coupons_issued=sum(step.coupons_issued for step in steps),
        coupons_redeemed=sum(step.coupons_redeemed for step in steps),
        attributed_orders=sum(step.attributed_orders for step in steps),
        revenue=sum(step.revenue for step in steps),
        steps=steps,
    )


def _step_counts(event: dict[str, Any], part_price: int) -> dict[str, int]:
    names = ("reached", "done", "skipped", "failed", "exited", "messages", "messages_sent", "parts_sent")
    counts = {name: int(event[name]) for name in names}
    counts["cost"] = counts["parts_sent"] * part_price
    counts["credit_granted"] = int(event["credit_granted"])
    counts["coupons_issued"] = int(event["coupons_issued"])
    counts["coupons_redeemed"] = int(event["coupons_redeemed"])
    return counts


def _ordered_steps(definition: dict[str, Any], events: list[dict[str, Any]]) -> list[StepStatistics]:
    """The definition's steps in order (ids default to s1, s2, … by position), then steps of earlier
    versions that have events, by when they were first used."""
    steps: list[StepStatistics] = []
    for position, raw in enumerate(definition.get("steps") or [], start=1):
        if isinstance(raw, dict):
            steps.append(StepStatistics(step_id=str(raw.get("id") or f"s{position}"), type=raw.get("type")))
    known = {step.step_id for step in steps}
    for row in sorted(events, key=lambda row: (row["first_at"], row["step_id"])):
        if row["step_id"] not in known:
            steps.append(StepStatistics(step_id=row["step_id"]))
            known.add(row["step_id"])
    return steps
