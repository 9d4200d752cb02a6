"""The daily date-trigger pass: who a store's date journeys enrol today, found set-based.

Once a day per store, in the store's timezone (``jobs.journey_dates``), :func:`run_pass` takes every
active journey whose trigger is one of ``DATE_TRIGGERS``, finds the customers its trigger selects on
the store's local ``day`` with one statement per journey, and hands them to
``domain.automation.enrolment.enrol`` (which applies the entry rules, the cap and the audience
conditions in one statement). Each candidate carries an *enrolment key* that names the occasion, so a
pass that runs twice, or a journey that selects the same customer on many days, enrols them once:

==========================  ==========================================  =================================
trigger                     selects on ``day``                          enrolment key
==========================  ==========================================  =================================
days_since_last_order       last purchase between min_days and          ``lapse:<local day of the last
                            max_days days before ``day``                purchase>`` — one lapse, once
birthday                    birthday on ``day + days_before``           ``birthday:<year>`` (store calendar)
first_order_anniversary     first order's anniversary on                ``anniversary:<year>``
                            ``day + days_before``
credit_expiring             unspent credit expiring on                  ``credit-expiry:<local day>``
                            ``day + days_before``
coupon_expiring             a coupon of theirs, unrevoked and not       ``coupon-expiry:<coupon id>``
                            used up, expiring on ``day + days_before``
==========================  ==========================================  =================================

Birthdays are read from ``birth_month``/``birth_day``, already in the store's calendar; anniversaries
convert ``first_order_at`` to the store's day and calendar. Leap days are celebrated on the last day
of their month in common years (:mod:`domain.automation.date_calendar`).

**Candidate facts** (``Candidate.facts``, copied to the run; the shape agreed with the engine). Every
candidate has ``trigger`` (the trigger type) and ``day`` (the store's local day of the pass, ISO), and:

- days_since_last_order: ``last_order_at`` (ISO timestamp of the purchase the lapse is counted from),
  ``lapse_day`` and ``days_since_last_order`` (whole days on ``day``). The engine re-checks the lapse
  before every step: when the customer's ``last_order_at`` is later than the one in the facts (they
  ordered again), the run exits with reason ``goal`` and nothing more is sent.
- birthday: ``date`` (the Gregorian day the birthday is celebrated on), ``year`` (store calendar).
- first_order_anniversary: ``date``, ``year``, ``first_order_at`` and ``years`` (1 for the first).
- credit_expiring: ``amount`` (minor units unspent, summed over the day's expiring entries) and
  ``expires_at`` (the earliest of them).
- coupon_expiring: ``coupon_id``, ``code`` and ``expires_at``.

Every statement reads one tenant's rows only (``tenant_id = $1``). Customers already enrolled with
the occasion's key are left out before ``enrol`` (one read of the journey's runs with those keys), so
a repeated pass enrols nobody and writes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Final
from uuid import UUID

from tortoise import Tortoise
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from domain.automation.date_calendar import anniversaries_of, celebrated_on, start_of, year_month_day
from domain.automation.definition import DATE_TRIGGERS, JourneyDefinition
from domain.automation.enrolment import Candidate, EnrolledRun, enrol
from domain.automation.models import Automation
from domain.incentives.expiry import expiring
from domain.tenancy.models import Tenant

log = logging.getLogger(__name__)

ACTIVE: Final = "active"

PASS_HOUR: Final = 9
"""The local hour from which a store's daily pass runs (so first steps run in the morning)."""

ANNIVERSARY_YEARS: Final = 100
"""How far back first orders are looked for: anniversaries of at most this many years."""


@dataclass(frozen=True)
class JourneyPass:
    """What one journey's trigger found on one day and how many of them it enrolled."""

    automation_id: UUID
    trigger: str
    found: int
    enrolled: list[EnrolledRun]
    error: str | None = None


@dataclass(frozen=True)
class DatePass:
    """One store's pass for one local day: a :class:`JourneyPass` per date journey."""

    tenant_id: UUID
    day: date
    journeys: list[JourneyPass] = field(default_factory=list)

    @property
    def enrolled(self) -> list[EnrolledRun]:
        return [run for journey in self.journeys for run in journey.enrolled]


async def run_pass(*, tenant_id: UUID, day: date, now: datetime) -> DatePass:
    """Enrol the customers every active date journey of the store selects on its local ``day``.

    One transaction per journey, so a journey whose definition no longer loads (reported in its
    ``error``) holds up no other. Safe to run any number of times for the same day: the enrolment
    keys make a second pass enrol nobody. ``now`` is when the new runs are due.
    """
    tenant = await Tenant.get(id=tenant_id)
    result = DatePass(tenant_id=tenant_id, day=day)
    for automation in await date_journeys(tenant_id=tenant_id):
        try:
            async with in_transaction() as connection:
                journey = await enrol_journey(
                    connection, tenant=tenant, automation=automation, day=day, now=now
                )
        except Exception as exc:  # one broken journey must not stop the store's others
            log.exception("date pass of journey %s failed", automation.id)
            journey = JourneyPass(automation.id, automation.trigger, 0, [], error=str(exc)[:500])
        result.journeys.append(journey)
    return result


async def date_journeys(*, tenant_id: UUID) -> list[Automation]:
    """The store's active journeys whose trigger is a date trigger, oldest first."""
    return await Automation.filter(
        tenant_id=tenant_id, status=ACTIVE, trigger__in=sorted(DATE_TRIGGERS)
    ).order_by("created_at", "id")


async def enrol_journey(
    connection: BaseDBAsyncClient, *, tenant: Tenant, automation: Automation, day: date, now: datetime
) -> JourneyPass:
    """Find and enrol the customers one date journey selects on ``day``, in the caller's transaction."""
    definition = JourneyDefinition.model_validate(automation.definition)
    trigger = definition.trigger
    candidates = await find(
        connection, tenant=tenant, automation_id=automation.id, trigger=trigger, day=day, now=now
    )
    runs = (
        await enrol(tenant_id=tenant.id, automation=automation, candidates=candidates, now=now)
        if candidates
        else []
    )
    return JourneyPass(automation.id, trigger.type, len(candidates), list(runs))


async def find(
    connection: BaseDBAsyncClient,
    *,
    tenant: Tenant,
    automation_id: UUID,
    trigger: Any,
    day: date,
    now: datetime,
) -> list[Candidate]:
    """The candidates ``trigger`` selects on the store's local ``day`` (credit unspent at ``now``),
    without those already enrolled in the journey with the same key."""
    finder = _FINDERS.get(trigger.type)
    if finder is None:
        raise ValueError(f"{trigger.type!r} is not a date trigger")
    scope = _Scope(tenant, automation_id, day, now)
    return await _not_enrolled(connection, scope, await finder(connection, scope, trigger))


@dataclass(frozen=True)
class _Scope:
    tenant: Tenant
    automation_id: UUID
    day: date
    now: datetime

    def start(self, offset_days: int) -> datetime:
        """Midnight at the start of ``day + offset_days`` in the store's timezone."""
        return start_of(self.day + timedelta(days=offset_days), self.tenant.timezone)

    def facts(self, trigger: str, **more: Any) -> dict[str, Any]:
        return {"trigger": trigger, "day": self.day.isoformat(), **more}


_ENROLLED = """
SELECT r.customer_id, r.enrolment_key FROM automation_runs AS r
WHERE r.tenant_id = $1 AND r.automation_id = $2 AND r.enrolment_key = ANY($3::text[])
"""


async def _not_enrolled(
    connection: BaseDBAsyncClient, scope: _Scope, candidates: list[Candidate]
) -> list[Candidate]:
    """The candidates the journey has no run for yet with the same key.

    One read of the journey's runs with these keys, matched in memory, rather than a probe per
    candidate inside the finding statement: the plan of such a probe depends on the runs table's
    statistics, and a store's first pass (no runs yet, statistics saying so) must not pay for every
    eligible customer a scan of the runs the pass itself just wrote."""
    if not candidates:
        return []
    keys = sorted({candidate.enrolment_key for candidate in candidates})
    rows = await connection.execute_query_dict(_ENROLLED, [scope.tenant.id, scope.automation_id, keys])
    taken = {(row["customer_id"], row["enrolment_key"]) for row in rows}
    return [c for c in candidates if (c.customer_id, c.enrolment_key) not in taken]


LAPSED = """
SELECT c.id, c.last_order_at, (c.last_order_at AT TIME ZONE $2)::date AS lapse_day
FROM customers AS c
WHERE c.tenant_id = $1 AND c.last_order_at >= $3 AND c.last_order_at < $4
"""
"""The win-back finder: customers whose last purchase falls in [$3, $4), with its local day in $2."""


async def _lapsed(connection: BaseDBAsyncClient, scope: _Scope, trigger: Any) -> list[Candidate]:
    """Win-back: the last purchase's local day is between ``max_days`` and ``min_days`` days ago.

    ``customers.last_order_at`` is the newest purchase (processing, completed or on-hold order), kept
    by every batch; the range reads the ``(tenant_id, last_order_at)`` index."""
    rows = await connection.execute_query_dict(
        LAPSED,
        [
            scope.tenant.id,
            scope.tenant.timezone,
            scope.start(-trigger.max_days),
            scope.start(-trigger.min_days + 1),
        ],
    )
    return [
        Candidate(
            customer_id=row["id"],
            enrolment_key=f"lapse:{row['lapse_day'].isoformat()}",
            facts=scope.facts(
                "days_since_last_order",
                last_order_at=row["last_order_at"].isoformat(),
                lapse_day=row["lapse_day"].isoformat(),
                days_since_last_order=(scope.day - row["lapse_day"]).days,
            ),
        )
        for row in rows
    ]


_BIRTHDAYS = """
SELECT c.id FROM customers AS c
JOIN unnest($2::smallint[], $3::smallint[]) AS b(month, day)
  ON c.birth_month = b.month AND c.birth_day = b.day
WHERE c.tenant_id = $1
"""


async def _birthdays(connection: BaseDBAsyncClient, scope: _Scope, trigger: Any) -> list[Candidate]:
    """Birthdays celebrated ``days_before`` days after ``day``, in the store's calendar."""
    target = scope.day + timedelta(days=trigger.days_before)
    calendar = scope.tenant.calendar
    year = year_month_day(target, calendar=calendar)[0]
    pairs = celebrated_on(target, calendar=calendar)
    key = f"birthday:{year}"
    rows = await connection.execute_query_dict(
        _BIRTHDAYS,
        [scope.tenant.id, [m for m, _ in pairs], [d for _, d in pairs]],
    )
    facts = scope.facts("birthday", date=target.isoformat(), year=year)
    return [Candidate(customer_id=row["id"], enrolment_key=key, facts=facts) for row in rows]


_ANNIVERSARIES = """
SELECT c.id, c.first_order_at, a.years FROM customers AS c
JOIN unnest($2::timestamptz[], $3::timestamptz[], $4::int[]) AS a(starts, ends, years)
  ON c.first_order_at >= a.starts AND c.first_order_at < a.ends
WHERE c.tenant_id = $1
"""


async def _anniversaries(connection: BaseDBAsyncClient, scope: _Scope, trigger: Any) -> list[Candidate]:
    """First orders whose anniversary in the store's calendar is ``days_before`` days after ``day``:
    one range of ``first_order_at`` per earlier year (and the leap day's in common years)."""
    target = scope.day + timedelta(days=trigger.days_before)
    calendar, timezone = scope.tenant.calendar, scope.tenant.timezone
    year = year_month_day(target, calendar=calendar)[0]
    since = target - timedelta(days=366 * ANNIVERSARY_YEARS)
    days = anniversaries_of(target, calendar=calendar, since=since)
    if not days:
        return []
    key = f"anniversary:{year}"
    rows = await connection.execute_query_dict(
        _ANNIVERSARIES,
        [
            scope.tenant.id,
            [start_of(first, timezone) for first, _ in days],
            [start_of(first + timedelta(days=1), timezone) for first, _ in days],
            [years for _, years in days],
        ],
    )
    return [
        Candidate(
            customer_id=row["id"],
            enrolment_key=key,
            facts=scope.facts(
                "first_order_anniversary",
                date=target.isoformat(),
                year=year,
                first_order_at=row["first_order_at"].isoformat(),
                years=row["years"],
            ),
        )
        for row in rows
    ]


async def _credit_expiring(connection: BaseDBAsyncClient, scope: _Scope, trigger: Any) -> list[Candidate]:
    """Unspent credit expiring on the local day ``days_before`` days after ``day``, one candidate per
    customer (their entries expiring that day summed)."""
    expiring_day = scope.day + timedelta(days=trigger.days_before)
    credits = await expiring(
        connection,
        tenant_id=scope.tenant.id,
        start=scope.start(trigger.days_before),
        end=scope.start(trigger.days_before + 1),
        now=scope.now,
    )
    amounts: dict[UUID, int] = {}
    earliest: dict[UUID, datetime] = {}
    for credit in credits:
        if credit.amount <= 0:
            continue
        amounts[credit.customer_id] = amounts.get(credit.customer_id, 0) + credit.amount
        known = earliest.get(credit.customer_id)
        earliest[credit.customer_id] = credit.expires_at if known is None else min(known, credit.expires_at)
    key = f"credit-expiry:{expiring_day.isoformat()}"
    return [
        Candidate(
            customer_id=customer_id,
            enrolment_key=key,
            facts=scope.facts("credit_expiring", amount=amount, expires_at=earliest[customer_id].isoformat()),
        )
        for customer_id, amount in amounts.items()
    ]


_COUPONS = """
SELECT k.id, k.customer_id, k.code, k.expires_at FROM coupons AS k
JOIN coupon_templates AS t ON t.tenant_id = k.tenant_id AND t.id = k.template_id
WHERE k.tenant_id = $1 AND k.customer_id IS NOT NULL AND k.revoked_at IS NULL
  AND k.expires_at >= $2 AND k.expires_at < $3
  AND (t.usage_limit IS NULL OR k.redemptions_count < t.usage_limit)
  AND (t.usage_limit_per_customer IS NULL OR k.redemptions_count < t.usage_limit_per_customer)
ORDER BY k.expires_at, k.id
"""


async def _coupons_expiring(connection: BaseDBAsyncClient, scope: _Scope, trigger: Any) -> list[Candidate]:
    """Coupons issued to one customer, neither revoked nor used up, expiring on the local day
    ``days_before`` days after ``day``: one candidate per coupon."""
    rows = await connection.execute_query_dict(
        _COUPONS,
        [
            scope.tenant.id,
            scope.start(trigger.days_before),
            scope.start(trigger.days_before + 1),
        ],
    )
    return [
        Candidate(
            customer_id=row["customer_id"],
            enrolment_key=f"coupon-expiry:{row['id']}",
            facts=scope.facts(
                "coupon_expiring",
                coupon_id=str(row["id"]),
                code=row["code"],
                expires_at=row["expires_at"].isoformat(),
            ),
        )
        for row in rows
    ]


_Finder = Callable[[BaseDBAsyncClient, _Scope, Any], Awaitable[list[Candidate]]]
_FINDERS: Final[dict[str, _Finder]] = {
    "days_since_last_order": _lapsed,
    "birthday": _birthdays,
    "first_order_anniversary": _anniversaries,
    "credit_expiring": _credit_expiring,
    "coupon_expiring": _coupons_expiring,
}


_DATE_TENANTS = """
SELECT DISTINCT t.id, t.timezone FROM automations AS a JOIN tenants AS t ON t.id = a.tenant_id
WHERE a.status = 'active' AND a.trigger = ANY($1::text[])
"""


async def stores_with_date_journeys() -> list[tuple[UUID, str]]:
    """(tenant id, timezone) of every store with at least one active date journey."""
    rows = await Tortoise.get_connection("default").execute_query_dict(_DATE_TENANTS, [sorted(DATE_TRIGGERS)])
    return [(row["id"], row["timezone"]) for row in rows]
