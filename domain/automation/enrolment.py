"""Enrolling customers in a journey: entry rules, the cap and the conditions, set-based.

Every trigger ends here — the events of a batch (:func:`domain.automation.engine.handle`) and the
daily date pass (``domain.automation.date_triggers``) — with a list of :class:`Candidate`. One call
costs a handful of statements whatever the number of candidates:

1. the journey's row is locked (``FOR NO KEY UPDATE``) so enrolments of one journey are serial and
   its cap holds under concurrency; a journey that is no longer active enrols nobody. Not ``FOR
   UPDATE``: that would also conflict with the ``FOR KEY SHARE`` lock every insert of a run or step
   event takes on the journey through its foreign key, so enrolling and advancing runs would wait for
   each other's whole transaction;
2. conditions: ``order_total`` against the candidates' orders (one look-up), ``audience`` and
   ``in_segment`` compiled by :mod:`domain.segments.compiler` into one statement over the candidates;
3. one ``SELECT … FROM unnest(…)`` applies the entry rule and the open-run rule in its ``WHERE`` and
   the cap as its ``LIMIT``; one ``INSERT … SELECT … FROM unnest(…)`` writes the runs it admits, and
   ``ON CONFLICT DO NOTHING`` keeps an occasion once.

**Enrolment keys** name an occasion of one customer (unique per journey and customer): ``order:<id>``
for order triggers, ``lapse:<day>``, ``birthday:<year>`` … for date triggers, the event and its moment
for customer and segment events. The entry rule then says how often a customer may enter:

- ``once_ever``: no run of the journey for the customer, ever;
- ``once_per_days``: no run begun in the last ``days`` days;
- ``once_per_order``: once per key (per order, per lapse, per birthday year).

Whatever the rule, a customer with an open run (``pending`` / ``waiting``) of the journey is not
enrolled again — a partial unique index on open runs says so too. For a once-per-order *order* journey
(a cashback per order) "already in the journey" is per order: two orders completed at once each get
their run (``open_scope`` holds the order).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final
from uuid import UUID
from zoneinfo import ZoneInfo

from tortoise import Tortoise
from tortoise.backends.base.client import BaseDBAsyncClient

from domain.automation.definition import (
    AudienceCondition,
    InSegmentCondition,
    JourneyDefinition,
    OrderTotalCondition,
    is_order_trigger,
)
from domain.automation.models import Automation
from domain.bulk import columns
from domain.intelligence.store import load
from domain.segments.compiler import Clock, Compiler, Scope
from domain.segments.definition import VERSION, parse

ACTIVE: Final = "active"
OPEN_STATES: Final = ("pending", "waiting")
MAX_KEY: Final = 200


@dataclass(frozen=True)
class Candidate:
    """A customer a trigger selected: the occasion's key, the order it is about (order triggers) and
    facts to keep on the run (the trigger's details: a lapse's last order, an expiring coupon)."""

    customer_id: UUID
    enrolment_key: str
    order_id: UUID | None = None
    facts: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class EnrolledRun:
    """A run just enrolled: what a worker needs to be woken for it once the transaction commits."""

    id: UUID
    tenant_id: UUID
    automation_id: UUID
    customer_id: UUID
    current_step: int
    due_at: datetime


_LOCK = """
SELECT status, version, definition::text AS definition, enrolled_count FROM automations
WHERE tenant_id = $1 AND id = $2 FOR NO KEY UPDATE
"""

_ORDER_TOTALS = "SELECT id, total FROM orders WHERE tenant_id = $1 AND id = ANY($2::uuid[])"

_ENTRY_RULES: Final = {
    "once_ever": "AND NOT EXISTS (SELECT 1 FROM automation_runs AS e WHERE e.tenant_id = $1"
    " AND e.automation_id = $2 AND e.customer_id = u.customer_id)",
    "once_per_days": "AND NOT EXISTS (SELECT 1 FROM automation_runs AS e WHERE e.tenant_id = $1"
    " AND e.automation_id = $2 AND e.customer_id = u.customer_id AND e.created_at > $7)",
    "once_per_order": "",
}

# The rules are read before anything is written: checked inside the INSERT, every probe of the runs
# would also step over the rows that same statement had just added (invisible to it, but in the index).
_ELIGIBLE = """
SELECT u.position FROM unnest($3::uuid[], $4::text[], $5::text[])
    WITH ORDINALITY AS u(customer_id, enrolment_key, open_scope, position)
WHERE NOT EXISTS (SELECT 1 FROM automation_runs AS k WHERE k.tenant_id = $1 AND k.automation_id = $2
        AND k.customer_id = u.customer_id AND k.enrolment_key = u.enrolment_key)
    AND NOT EXISTS (SELECT 1 FROM automation_runs AS o WHERE o.tenant_id = $1 AND o.automation_id = $2
        AND o.customer_id = u.customer_id AND o.open_scope = u.open_scope
        AND o.state IN ('pending', 'waiting'))
    {entry_rule}
ORDER BY u.position
LIMIT $6
"""

_ENROL = """
INSERT INTO automation_runs (id, tenant_id, automation_id, automation_version, customer_id, order_id,
    enrolment_key, open_scope, state, current_step, current_step_id, due_at, context, created_at,
    updated_at)
SELECT gen_random_uuid(), $1, $2, $3, u.customer_id, u.order_id, u.enrolment_key, u.open_scope,
    'pending', 0, $4, $5, u.context::jsonb, $5, $5
FROM unnest($6::uuid[], $7::uuid[], $8::text[], $9::text[], $10::text[])
    AS u(customer_id, order_id, enrolment_key, open_scope, context)
ON CONFLICT DO NOTHING
RETURNING id, customer_id, due_at
"""

_COUNT = "UPDATE automations SET enrolled_count = enrolled_count + $3 WHERE tenant_id = $1 AND id = $2"

_UNLIMITED: Final = 2**31 - 1


async def enrol(
    *, tenant_id: UUID, automation: Automation, candidates: Sequence[Candidate], now: datetime
) -> list[EnrolledRun]:
    """Enrol the ``candidates`` the journey's rules admit, in the caller's transaction; due at ``now``.

    Candidates are taken in order: the first of a customer wins (one run per customer per call), and
    a cap leaves out the last ones. Returns the runs created (the caller wakes them after commit).
    """
    if not candidates:
        return []
    connection = Tortoise.get_connection("default")
    rows = await connection.execute_query_dict(_LOCK, [tenant_id, automation.id])
    if not rows or rows[0]["status"] != ACTIVE:
        return []
    locked = rows[0]
    definition = JourneyDefinition.model_validate(json.loads(locked["definition"]))
    remaining = _UNLIMITED
    if definition.entry.cap is not None:
        remaining = definition.entry.cap - int(locked["enrolled_count"])
        if remaining <= 0:
            return []
    admitted = await _admitted(connection, tenant_id, definition, _first_per_customer(candidates), now)
    if not admitted:
        return []
    per_order = definition.entry.mode == "once_per_order" and is_order_trigger(definition.trigger)
    values = [
        (
            candidate.customer_id,
            candidate.order_id,
            candidate.enrolment_key[:MAX_KEY],
            str(candidate.order_id) if per_order and candidate.order_id else "",
            json.dumps(_context(candidate, now), ensure_ascii=False, default=str),
        )
        for candidate in admitted
    ]
    keys = [(customer_id, key, scope) for customer_id, _, key, scope, _ in values]
    eligible: list[Any] = [tenant_id, automation.id, *columns(keys, 3), remaining]
    if definition.entry.mode == "once_per_days":
        eligible.append(now - timedelta(days=definition.entry.days or 0))
    sql = _ELIGIBLE.format(entry_rule=_ENTRY_RULES[definition.entry.mode])
    positions = [row["position"] for row in await connection.execute_query_dict(sql, eligible)]
    if not positions:
        return []
    chosen = [values[position - 1] for position in positions]
    created = await connection.execute_query_dict(
        _ENROL,
        [tenant_id, automation.id, int(locked["version"]), definition.steps[0].id, now, *columns(chosen, 5)],
    )
    if created:
        await connection.execute_query(_COUNT, [tenant_id, automation.id, len(created)])
    return [
        EnrolledRun(row["id"], tenant_id, automation.id, row["customer_id"], 0, row["due_at"])
        for row in created
    ]


def _first_per_customer(candidates: Sequence[Candidate]) -> list[Candidate]:
    seen: set[UUID] = set()
    first: list[Candidate] = []
    for candidate in candidates:
        if candidate.customer_id not in seen:
            seen.add(candidate.customer_id)
            first.append(candidate)
    return first


def _context(candidate: Candidate, now: datetime) -> dict[str, Any]:
    """What a new run starts with: the trigger's facts and empty records of what it will do."""
    return {
        "facts": candidate.facts,
        "enrolled_at": now.isoformat(),
        "cashback": 0,
        "credit": 0,
        "coupon_id": None,
        "messages": [],
        "notes": [],
    }


async def _admitted(
    connection: BaseDBAsyncClient,
    tenant_id: UUID,
    definition: JourneyDefinition,
    candidates: list[Candidate],
    now: datetime,
) -> list[Candidate]:
    """The candidates that meet every condition of the journey (two statements at most)."""
    totals = [c for c in definition.conditions if isinstance(c, OrderTotalCondition)]
    if totals:
        orders = [c.order_id for c in candidates if c.order_id is not None]
        rows = await connection.execute_query_dict(_ORDER_TOTALS, [tenant_id, orders]) if orders else []
        total_of = {row["id"]: int(row["total"]) for row in rows}
        candidates = [
            c
            for c in candidates
            if c.order_id in total_of and all(t.matches(total=total_of[c.order_id]) for t in totals)
        ]
    nodes: list[dict[str, Any]] = []
    for condition in definition.conditions:
        if isinstance(condition, AudienceCondition):
            nodes.append(condition.condition)
        elif isinstance(condition, InSegmentCondition):
            nodes.append({"in_segment": str(condition.segment_id)})
    if not nodes or not candidates:
        return candidates
    matching = await matching_customers(
        connection, tenant_id, {"all": nodes}, [c.customer_id for c in candidates], now
    )
    return [c for c in candidates if c.customer_id in matching]


_TIMEZONE = "SELECT timezone FROM tenants WHERE id = $1"
_MATCHING = "SELECT c.id FROM customers AS c WHERE c.tenant_id = $1 AND c.id = ANY({ids}) AND {condition}"


async def matching_customers(
    connection: BaseDBAsyncClient,
    tenant_id: UUID,
    tree: dict[str, Any],
    customer_ids: Sequence[UUID],
    now: datetime,
) -> set[UUID]:
    """Which of ``customer_ids`` match the segment condition ``tree`` at ``now`` (one statement, each
    customer looked up by key — the segments' own compiler, so a journey and a segment agree)."""
    if not customer_ids:
        return set()
    [tenant] = await connection.execute_query_dict(_TIMEZONE, [tenant_id])
    model = await load(connection, tenant_id=tenant_id)
    compiler = Compiler(
        tenant_id, Clock(now=now, timezone=ZoneInfo(tenant["timezone"])), Scope.SOME, model.parameters
    )
    condition = compiler.condition(parse({"version": VERSION, "match": tree}))
    ids = compiler.parameters.add(sorted(set(customer_ids)), "uuid[]")
    rows = await connection.execute_query_dict(
        _MATCHING.format(ids=ids, condition=condition), compiler.parameters.values
    )
    return {row["id"] for row in rows}
