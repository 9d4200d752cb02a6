"""A journey's dry run: what it would have done over the store's last N days, writing nothing.

The trigger is replayed over the store's real history (:mod:`domain.automation.dry_run_entries`:
orders, refunds, customers, segment stays, and the date triggers day by day at the daily pass's
hour), the conditions are applied as enrolment would apply them (the order's total; segment
membership from the stays at that moment; audience conditions compiled as segment conditions with
the clock set to that day), then the entry rule and cap in time order, a customer already in the
journey (a would-be run still open) not entering again. Each would-be run then walks the steps
(:mod:`domain.automation.dry_run_walk`) on the same history.

The answer: how many times the trigger fired, how many customers would have entered, how many would
reach each step and how it would have gone there, a sample of at most five rendered texts with their
parts and cost, and the SMS, credit and coupons in all.

**Nothing is written.** The whole dry run is one ``READ ONLY`` transaction (PostgreSQL refuses any
write in it), and only SELECT statements run; coupon codes in the texts are drawn but never stored.
Approximations the history forces are listed in ``notes``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final
from uuid import UUID
from zoneinfo import ZoneInfo

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from domain.automation.date_calendar import local_day, start_of
from domain.automation.definition import (
    AudienceCondition,
    InSegmentCheck,
    InSegmentCondition,
    JourneyDefinition,
    MatchesCheck,
    is_order_trigger,
)
from domain.automation.dry_run_entries import NOTES, Entry, Window, customer_ids, replay
from domain.automation.dry_run_walk import Person, Sample, StepTally, Walker
from domain.automation.service import check_references
from domain.coupons.models import CouponTemplate
from domain.customers.service import PURCHASE_STATUSES
from domain.errors import DomainError
from domain.intelligence.store import load
from domain.messaging import pricing
from domain.messaging.consent import MARKETING_ALLOWED_SQL
from domain.segments.compiler import Clock, Compiler, Scope
from domain.segments.refresh import NO_JIT
from domain.tenancy.models import Tenant

MIN_DAYS: Final = 1
MAX_DAYS: Final = 90


@dataclass(frozen=True)
class DryRun:
    """What a journey would have done over ``(start, end]``. Money in minor units of the store's
    currency; ``cost`` in rials (the SMS part price's currency)."""

    days: int
    start: datetime
    end: datetime
    triggered: int
    """Times the trigger fired (before conditions and entry rules)."""
    entered: int
    left_out: dict[str, int]
    """Why the others did not enter: conditions, entry_rule, already_in_journey, cap, repeat."""
    completed: int
    exited_by_goal: int
    failed: int
    waiting: int
    """Runs still open at the end of the window."""
    messages: int
    parts: int
    cost: int
    credit: int
    coupons: int
    steps: list[StepTally]
    samples: list[Sample]
    notes: list[str] = field(default_factory=list)


async def dry_run(*, tenant_id: UUID, definition: JourneyDefinition, days: int, now: datetime) -> DryRun:
    """Replay ``definition`` over the store's last ``days`` days (1–90) up to ``now``; write nothing.

    ``INVALID`` (field ``days``) outside 1–90; ``NOT_FOUND`` when the definition names a segment or
    coupon template the store does not have (another store's is not found either), ``TEMPLATE_ARCHIVED``
    for an archived template (the checks of saving a journey, ``service.check_references``)."""
    if isinstance(days, bool) or not MIN_DAYS <= days <= MAX_DAYS:
        raise DomainError("INVALID", f"A dry run looks back {MIN_DAYS} to {MAX_DAYS} days.", field="days")
    await check_references(tenant_id=tenant_id, definition=definition)
    tenant = await Tenant.get(id=tenant_id)
    async with in_transaction() as connection:
        await connection.execute_query("SET TRANSACTION READ ONLY")
        await connection.execute_query(NO_JIT)
        return await _dry_run(connection, tenant, definition, days, now)


async def _dry_run(
    connection: BaseDBAsyncClient, tenant: Tenant, definition: JourneyDefinition, days: int, now: datetime
) -> DryRun:
    window = Window(tenant=tenant, start=now - timedelta(days=days), end=now)
    entries = await replay(connection, window=window, trigger=definition.trigger)
    triggered = len(entries)
    left_out: Counter[str] = Counter()
    notes = {
        NOTES[key]
        for key in (definition.trigger.type, getattr(definition.trigger, "event", ""))
        if key in NOTES
    }

    history = await _History.load(connection, tenant, definition, entries, now)
    kept = await _meeting_conditions(connection, tenant, definition, entries, history, now)
    left_out["conditions"] = len(entries) - len(kept)

    walker = Walker(
        tenant=tenant,
        definition=definition,
        end=now,
        people=history.people,
        orders=history.orders,
        stays=history.stays,
        matching=await _matching_now(connection, tenant, definition, customer_ids(kept), now),
        templates=await _templates(connection, tenant.id, definition),
        expiring_coupons=await _expiring_coupon_templates(connection, tenant.id, kept),
        part_price=await pricing.tenant_part_price(tenant.id, at=now),
    )
    if any(isinstance(check, MatchesCheck) for check in definition.checks()):
        notes.add("Segment-condition checks read the customers as they are now.")
    if any(check.type == "redeemed_coupon" for check in definition.checks()):
        notes.add("A coupon the journey would have issued was never redeemed: those checks count as unknown.")
    states: Counter[str] = Counter()
    _entering(definition, kept, walker, left_out, states)
    totals = walker.tallies.values()
    return DryRun(
        days=days,
        start=window.start,
        end=window.end,
        triggered=triggered,
        entered=sum(states.values()),
        left_out={reason: left_out.get(reason, 0) for reason in _REASONS},
        completed=states["completed"],
        exited_by_goal=states["exited"],
        failed=states["failed"],
        waiting=states["waiting"],
        messages=sum(tally.messages for tally in totals),
        parts=sum(tally.parts for tally in totals),
        cost=sum(tally.cost for tally in totals),
        credit=sum(tally.credit for tally in totals),
        coupons=sum(tally.coupons for tally in totals),
        steps=list(walker.tallies.values()),
        samples=walker.samples,
        notes=sorted(notes | walker.notes),
    )


_REASONS: Final = ("conditions", "repeat", "already_in_journey", "entry_rule", "cap")


def _entering(
    definition: JourneyDefinition,
    entries: Sequence[Entry],
    walker: Walker,
    left_out: Counter[str],
    states: Counter[str],
) -> Sequence[Entry]:
    """Apply the entry rule and cap in time order, walking each run that enters; the entrants."""
    rule = definition.entry
    seen: set[tuple[UUID, str]] = set()
    last_entry: dict[UUID, datetime] = {}
    open_until: dict[UUID, datetime | None] = {}
    entrants: list[Entry] = []
    for entry in entries:
        customer = entry.customer_id
        if (customer, entry.key) in seen:
            left_out["repeat"] += 1
            continue
        if customer in open_until and _still_open(open_until[customer], entry.at):
            left_out["already_in_journey"] += 1
            continue
        previous = last_entry.get(customer)
        if previous is not None and (
            rule.mode == "once_ever"
            or (
                rule.mode == "once_per_days"
                and rule.days is not None
                and previous + timedelta(days=rule.days) > entry.at
            )
        ):
            left_out["entry_rule"] += 1
            continue
        if rule.cap is not None and len(entrants) >= rule.cap:
            left_out["cap"] += 1
            continue
        seen.add((customer, entry.key))
        last_entry[customer] = entry.at
        outcome = walker.walk(entry)
        open_until[customer] = outcome.until
        states[outcome.state] += 1
        entrants.append(entry)
    return entrants


@dataclass
class _History:
    """The entering customers' facts, purchases and segment stays the conditions and steps read."""

    people: dict[UUID, Person]
    orders: dict[UUID, list[datetime]]
    stays: dict[tuple[UUID, UUID], list[tuple[datetime, datetime | None]]]

    @classmethod
    async def load(
        cls,
        connection: BaseDBAsyncClient,
        tenant: Tenant,
        definition: JourneyDefinition,
        entries: Sequence[Entry],
        now: datetime,
    ) -> _History:
        ids = customer_ids(entries)
        if not ids:
            return cls({}, {}, {})
        people = {
            row["id"]: Person(
                first_name=row["first_name"],
                phone=row["phone"],
                marketing_allowed=bool(row["marketing_allowed"]),
                balance=int(row["balance"]),
                birth_month=row["birth_month"],
                birth_day=row["birth_day"],
                first_order_at=row["first_order_at"],
                last_order_at=row["last_order_at"],
            )
            for row in await connection.execute_query_dict(_PEOPLE, [tenant.id, ids])
        }
        since = min(
            [entry.at for entry in entries]
            + [
                datetime.fromisoformat(e.facts["last_order_at"])
                for e in entries
                if "last_order_at" in e.facts
            ]
        )
        orders: dict[UUID, list[datetime]] = {}
        for row in await connection.execute_query_dict(
            _ORDERS, [tenant.id, ids, list(PURCHASE_STATUSES), since, now]
        ):
            orders.setdefault(row["customer_id"], []).append(row["placed_at"])
        segments = [
            part.segment_id
            for part in (*definition.conditions, *definition.checks())
            if isinstance(part, InSegmentCondition | InSegmentCheck)
        ]
        stays: dict[tuple[UUID, UUID], list[tuple[datetime, datetime | None]]] = {}
        if segments:
            for row in await connection.execute_query_dict(_STAYS, [tenant.id, segments, ids, since, now]):
                stays.setdefault((row["segment_id"], row["customer_id"]), []).append(
                    (row["entered_at"], row["left_at"])
                )
        return cls(people, orders, stays)


_PEOPLE = f"""
SELECT c.id, c.first_name, c.phone, c.birth_month, c.birth_day, c.first_order_at, c.last_order_at,
       {MARKETING_ALLOWED_SQL} AS marketing_allowed,
       COALESCE(a.available, 0) + COALESCE(a.pending, 0) AS balance
FROM customers AS c
LEFT JOIN credit_accounts AS a ON a.tenant_id = c.tenant_id AND a.customer_id = c.id
WHERE c.tenant_id = $1 AND c.id = ANY($2::uuid[])
"""

_ORDERS = """
SELECT o.customer_id, o.placed_at FROM orders AS o
WHERE o.tenant_id = $1 AND o.customer_id = ANY($2::uuid[]) AND o.status = ANY($3::text[])
  AND (o.refunded_total < o.total OR o.total = 0) AND o.placed_at > $4 AND o.placed_at <= $5
ORDER BY o.customer_id, o.placed_at
"""

_STAYS = """
SELECT sm.segment_id, sm.customer_id, sm.entered_at, sm.left_at FROM segment_memberships AS sm
WHERE sm.tenant_id = $1 AND sm.segment_id = ANY($2::uuid[]) AND sm.customer_id = ANY($3::uuid[])
  AND sm.entered_at <= $5 AND (sm.left_at IS NULL OR sm.left_at > $4)
"""


async def _meeting_conditions(
    connection: BaseDBAsyncClient,
    tenant: Tenant,
    definition: JourneyDefinition,
    entries: Sequence[Entry],
    history: _History,
    now: datetime,
) -> list[Entry]:
    """The entries whose customer met every condition when the trigger fired."""
    ordered = is_order_trigger(definition.trigger)
    kept = [
        entry
        for entry in entries
        if entry.customer_id in history.people
        and (not ordered or definition.matches(total=entry.total))
        and all(
            _stayed(history.stays.get((condition.segment_id, entry.customer_id), []), entry.at)
            for condition in definition.conditions
            if isinstance(condition, InSegmentCondition)
        )
    ]
    audiences = [condition for condition in definition.conditions if isinstance(condition, AudienceCondition)]
    if not audiences or not kept:
        return kept
    model = (await load(connection, tenant_id=tenant.id)).parameters
    zone = ZoneInfo(tenant.timezone)
    by_day: dict[Any, list[Entry]] = {}
    for entry in kept:
        by_day.setdefault(local_day(entry.at, tenant.timezone), []).append(entry)
    matching: set[tuple[UUID, Any]] = set()
    for day, group in by_day.items():
        clock_at = min(start_of(day + timedelta(days=1), tenant.timezone), now)
        compiler = Compiler(tenant.id, Clock(now=clock_at, timezone=zone), Scope.SOME, model)
        condition = " AND ".join(compiler.condition(audience.segment_definition()) for audience in audiences)
        ids = compiler.parameters.add(customer_ids(group), "uuid[]")
        rows = await connection.execute_query_dict(
            f"SELECT c.id FROM customers AS c WHERE c.tenant_id = $1 AND c.id = ANY({ids}) AND {condition}",
            compiler.parameters.values,
        )
        matching.update((row["id"], day) for row in rows)
    return [entry for entry in kept if (entry.customer_id, local_day(entry.at, tenant.timezone)) in matching]


async def _matching_now(
    connection: BaseDBAsyncClient,
    tenant: Tenant,
    definition: JourneyDefinition,
    ids: list[UUID],
    now: datetime,
) -> dict[int, set[UUID]]:
    """For each segment-condition check of the steps, which of ``ids`` it holds for now."""
    checks = [check for check in definition.checks() if isinstance(check, MatchesCheck)]
    if not checks or not ids:
        return {}
    model = (await load(connection, tenant_id=tenant.id)).parameters
    found: dict[int, set[UUID]] = {}
    for check in checks:
        compiler = Compiler(tenant.id, Clock(now=now, timezone=ZoneInfo(tenant.timezone)), Scope.SOME, model)
        condition = compiler.condition(check.segment_definition())
        wanted = compiler.parameters.add(ids, "uuid[]")
        rows = await connection.execute_query_dict(
            f"SELECT c.id FROM customers AS c WHERE c.tenant_id = $1 AND c.id = ANY({wanted})"
            f" AND {condition}",
            compiler.parameters.values,
        )
        found[id(check)] = {row["id"] for row in rows}
    return found


async def _templates(
    connection: BaseDBAsyncClient, tenant_id: UUID, definition: JourneyDefinition
) -> dict[UUID, CouponTemplate]:
    wanted = definition.coupon_templates_used()
    if not wanted:
        return {}
    templates = await CouponTemplate.filter(tenant_id=tenant_id, id__in=wanted).using_db(connection)
    return {template.id: template for template in templates}


async def _expiring_coupon_templates(
    connection: BaseDBAsyncClient, tenant_id: UUID, entries: Sequence[Entry]
) -> dict[str, CouponTemplate]:
    """The templates of the coupons a coupon_expiring replay found, by coupon id (for their value)."""
    coupon_ids = list({str(entry.facts["coupon_id"]) for entry in entries if entry.facts.get("coupon_id")})
    if not coupon_ids:
        return {}
    rows = await connection.execute_query_dict(
        "SELECT k.id, k.template_id FROM coupons AS k WHERE k.tenant_id = $1 AND k.id = ANY($2::uuid[])",
        [tenant_id, coupon_ids],
    )
    templates = {
        template.id: template
        for template in await CouponTemplate.filter(
            tenant_id=tenant_id, id__in={row["template_id"] for row in rows}
        ).using_db(connection)
    }
    return {str(row["id"]): templates[row["template_id"]] for row in rows if row["template_id"] in templates}


def _still_open(until: datetime | None, at: datetime) -> bool:
    """A would-be run that ended at ``until`` (None: it never did) is still open at ``at``."""
    return until is None or until > at


def _stayed(stays: list[tuple[datetime, datetime | None]], at: datetime) -> bool:
    return any(entered <= at and (left is None or left > at) for entered, left in stays)
