"""Who a journey's trigger would have enrolled over a past window, read from the store's history.

One statement per trigger, over the tables that record what happened and when: orders (placed,
completed, cancelled), refunds, customers (created, updated), segment stays (entered, left), and for
the date triggers every local day of the window at the hour the daily pass runs
(:data:`domain.automation.date_triggers.PASS_HOUR`): the lapse that day from the purchase orders
(the last purchase before the pass, with nobody counted twice for one lapse), the birthdays and
first-order anniversaries celebrated ``days_before`` later, the credit grants and coupons that
expired ``days_before`` later and existed then. Reads only.

What history cannot tell: an order's status is its status now; ``customer.updated`` is known only by
a customer's latest update; an expiring grant's amount is what was granted (what was left of it then
is not recorded). :data:`NOTES` says so to the owner.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Final
from uuid import UUID

from tortoise.backends.base.client import BaseDBAsyncClient

from domain.automation.date_calendar import (
    anniversaries_of,
    celebrated_on,
    local_day,
    start_of,
    year_month_day,
)
from domain.automation.date_triggers import ANNIVERSARY_YEARS, PASS_HOUR
from domain.customers.service import PURCHASE_STATUSES
from domain.incentives.expiry import ALLOCATED_KINDS
from domain.tenancy.models import Tenant

NOTES: Final[dict[str, str]] = {
    "order.cancelled": "Cancellations are dated by the order's last change.",
    "customer.updated": "Only each customer's latest update is known.",
    "credit_expiring": "Expiring credit counts what was granted, not what was left of it then.",
}


@dataclass(frozen=True)
class Entry:
    """One time the trigger fired for a customer: when, for which occasion (the key the real
    enrolment would use), and the order it is about (order triggers)."""

    customer_id: UUID
    at: datetime
    key: str
    order_id: UUID | None = None
    total: int = 0
    shipping_total: int = 0
    refunded_total: int = 0
    facts: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Window:
    """The replayed stretch of time, ``(start, end]``, in one store's timezone and calendar."""

    tenant: Tenant
    start: datetime
    end: datetime

    def pass_days(self) -> list[tuple[date, datetime]]:
        """Each local day whose date pass (at PASS_HOUR) falls in the window, with that moment."""
        timezone = self.tenant.timezone
        first, last = local_day(self.start, timezone), local_day(self.end, timezone)
        days: list[tuple[date, datetime]] = []
        day = first
        while day <= last:
            moment = start_of(day, timezone) + timedelta(hours=PASS_HOUR)
            if self.start < moment <= self.end:
                days.append((day, moment))
            day += timedelta(days=1)
        return days


async def replay(connection: BaseDBAsyncClient, *, window: Window, trigger: Any) -> list[Entry]:
    """Every time ``trigger`` would have fired in ``window``, oldest first."""
    kind = trigger.type
    if kind == "event":
        entries = await _events(connection, window, trigger.event)
    elif kind == "nth_order":
        entries = await _nth_orders(connection, window, trigger.n)
    elif kind == "segment":
        entries = await _segment_stays(connection, window, trigger.segment_id, trigger.event)
    elif kind == "days_since_last_order":
        entries = await _lapses(connection, window, trigger.min_days, trigger.max_days)
    elif kind == "birthday":
        entries = await _birthdays(connection, window, trigger.days_before)
    elif kind == "first_order_anniversary":
        entries = await _anniversaries(connection, window, trigger.days_before)
    elif kind == "credit_expiring":
        entries = await _credit(connection, window, trigger.days_before)
    elif kind == "coupon_expiring":
        entries = await _coupons(connection, window, trigger.days_before)
    else:
        raise ValueError(f"no replay for trigger {kind!r}")
    return sorted(entries, key=lambda entry: (entry.at, str(entry.customer_id), entry.key))


_ORDER_COLUMNS = "o.id, o.customer_id, o.total, o.shipping_total, o.refunded_total"
_ORDER_EVENTS: Final[dict[str, str]] = {
    "order.created": f"""SELECT {_ORDER_COLUMNS}, o.placed_at AS at FROM orders AS o
        WHERE o.tenant_id = $1 AND o.customer_id IS NOT NULL AND o.placed_at > $2 AND o.placed_at <= $3""",
    "order.completed": f"""SELECT {_ORDER_COLUMNS}, o.completed_at AS at FROM orders AS o
        WHERE o.tenant_id = $1 AND o.customer_id IS NOT NULL AND o.status = 'completed'
          AND o.completed_at > $2 AND o.completed_at <= $3""",
    "order.cancelled": f"""SELECT {_ORDER_COLUMNS}, o.source_updated_at AS at FROM orders AS o
        WHERE o.tenant_id = $1 AND o.customer_id IS NOT NULL AND o.status = 'cancelled'
          AND o.source_updated_at > $2 AND o.source_updated_at <= $3""",
    "order.refunded": f"""SELECT {_ORDER_COLUMNS}, f.refunded_at AS at, f.external_id AS refund
        FROM refunds AS f JOIN orders AS o ON o.tenant_id = f.tenant_id AND o.id = f.order_id
        WHERE f.tenant_id = $1 AND o.customer_id IS NOT NULL
          AND f.refunded_at > $2 AND f.refunded_at <= $3""",
}
_CUSTOMER_EVENTS: Final[dict[str, str]] = {
    "customer.created": "created_at",
    "customer.updated": "updated_at",
}


def _order_entry(row: dict[str, Any], key: str) -> Entry:
    return Entry(
        customer_id=row["customer_id"],
        at=row["at"],
        key=key,
        order_id=row["id"],
        total=int(row["total"]),
        shipping_total=int(row["shipping_total"]),
        refunded_total=int(row["refunded_total"]),
    )


async def _events(connection: BaseDBAsyncClient, window: Window, event: str) -> list[Entry]:
    values = [window.tenant.id, window.start, window.end]
    if event in _ORDER_EVENTS:
        rows = await connection.execute_query_dict(_ORDER_EVENTS[event], values)
        return [
            _order_entry(row, f"refund:{row['refund']}" if "refund" in row else f"order:{row['id']}")
            for row in rows
        ]
    column = _CUSTOMER_EVENTS[event]
    rows = await connection.execute_query_dict(
        f"SELECT c.id, c.{column} AS at FROM customers AS c"
        f" WHERE c.tenant_id = $1 AND c.{column} > $2 AND c.{column} <= $3",
        values,
    )
    return [Entry(customer_id=row["id"], at=row["at"], key=event) for row in rows]


_NTH = f"""
SELECT * FROM (
    SELECT {_ORDER_COLUMNS}, o.completed_at AS at,
           row_number() OVER (PARTITION BY o.customer_id ORDER BY o.completed_at, o.id) AS nth
    FROM orders AS o
    WHERE o.tenant_id = $1 AND o.status = 'completed' AND o.completed_at <= $3
      AND o.customer_id IN (SELECT w.customer_id FROM orders AS w WHERE w.tenant_id = $1
                            AND w.status = 'completed' AND w.completed_at > $2 AND w.completed_at <= $3)
) AS numbered
WHERE numbered.nth = $4 AND numbered.at > $2
"""


async def _nth_orders(connection: BaseDBAsyncClient, window: Window, n: int) -> list[Entry]:
    rows = await connection.execute_query_dict(_NTH, [window.tenant.id, window.start, window.end, n])
    return [_order_entry(row, f"order:{row['id']}") for row in rows]


async def _segment_stays(
    connection: BaseDBAsyncClient, window: Window, segment_id: UUID, event: str
) -> list[Entry]:
    column = "entered_at" if event == "entered" else "left_at"
    rows = await connection.execute_query_dict(
        f"SELECT sm.id, sm.customer_id, sm.{column} AS at FROM segment_memberships AS sm"
        f" WHERE sm.tenant_id = $1 AND sm.segment_id = $4 AND sm.{column} > $2 AND sm.{column} <= $3",
        [window.tenant.id, window.start, window.end, segment_id],
    )
    return [
        Entry(customer_id=row["customer_id"], at=row["at"], key=f"stay:{row['id']}:{event}") for row in rows
    ]


_LAPSES = """
WITH purchases AS (
    SELECT o.customer_id, o.placed_at,
           lead(o.placed_at) OVER (PARTITION BY o.customer_id ORDER BY o.placed_at) AS next_at
    FROM orders AS o
    WHERE o.tenant_id = $1 AND o.customer_id IS NOT NULL AND o.status = ANY($2::text[])
      AND o.placed_at >= $3 AND o.placed_at < $4
), lapses AS (
    SELECT customer_id, placed_at, next_at, (placed_at AT TIME ZONE $5)::date AS lapse_day FROM purchases
)
SELECT customer_id, placed_at, next_at, lapse_day, GREATEST(lapse_day + $6::int, $8::date) AS entry_day
FROM lapses
WHERE GREATEST(lapse_day + $6::int, $8::date) <= LEAST(lapse_day + $7::int, $9::date)
"""


async def _lapses(connection: BaseDBAsyncClient, window: Window, min_days: int, max_days: int) -> list[Entry]:
    """A lapse enters on the first pass day of the window it qualifies on (its last purchase between
    ``max_days`` and ``min_days`` days before), unless the customer ordered again before that pass."""
    days = window.pass_days()
    if not days:
        return []
    moments = dict(days)
    timezone = window.tenant.timezone
    first, last = days[0][0], days[-1][0]
    rows = await connection.execute_query_dict(
        _LAPSES,
        [
            window.tenant.id,
            list(PURCHASE_STATUSES),
            start_of(first - timedelta(days=max_days), timezone),
            window.end,
            timezone,
            min_days,
            max_days,
            first,
            last,
        ],
    )
    entries: list[Entry] = []
    for row in rows:
        moment = moments.get(row["entry_day"])
        if moment is None or row["placed_at"] >= moment:
            continue
        if row["next_at"] is not None and row["next_at"] < moment:
            continue  # they ordered again before the pass: no lapse that day
        entries.append(
            Entry(
                customer_id=row["customer_id"],
                at=moment,
                key=f"lapse:{row['lapse_day'].isoformat()}",
                facts={
                    "trigger": "days_since_last_order",
                    "last_order_at": row["placed_at"].isoformat(),
                    "lapse_day": row["lapse_day"].isoformat(),
                    "days_since_last_order": (row["entry_day"] - row["lapse_day"]).days,
                },
            )
        )
    return entries


_BIRTHDAYS = """
SELECT c.id, b.entry FROM customers AS c
JOIN unnest($2::smallint[], $3::smallint[], $4::int[]) AS b(month, day, entry)
  ON c.birth_month = b.month AND c.birth_day = b.day
WHERE c.tenant_id = $1
"""


async def _birthdays(connection: BaseDBAsyncClient, window: Window, days_before: int) -> list[Entry]:
    days = window.pass_days()
    calendar = window.tenant.calendar
    months: list[int] = []
    doms: list[int] = []
    entries_of: list[int] = []
    for index, (day, _) in enumerate(days):
        for month, dom in celebrated_on(day + timedelta(days=days_before), calendar=calendar):
            months.append(month)
            doms.append(dom)
            entries_of.append(index)
    if not months:
        return []
    rows = await connection.execute_query_dict(_BIRTHDAYS, [window.tenant.id, months, doms, entries_of])
    entries: list[Entry] = []
    for row in rows:
        day, moment = days[row["entry"]]
        target = day + timedelta(days=days_before)
        year = year_month_day(target, calendar=calendar)[0]
        entries.append(
            Entry(
                customer_id=row["id"],
                at=moment,
                key=f"birthday:{year}",
                facts={
                    "trigger": "birthday",
                    "day": day.isoformat(),
                    "date": target.isoformat(),
                    "year": year,
                },
            )
        )
    return entries


_ANNIVERSARIES = """
SELECT c.id, c.first_order_at, a.entry, a.years FROM customers AS c
JOIN unnest($2::timestamptz[], $3::timestamptz[], $4::int[], $5::int[]) AS a(starts, ends, entry, years)
  ON c.first_order_at >= a.starts AND c.first_order_at < a.ends
WHERE c.tenant_id = $1
"""


async def _anniversaries(connection: BaseDBAsyncClient, window: Window, days_before: int) -> list[Entry]:
    days = window.pass_days()
    calendar, timezone = window.tenant.calendar, window.tenant.timezone
    starts: list[datetime] = []
    ends: list[datetime] = []
    entries_of: list[int] = []
    years_of: list[int] = []
    for index, (day, _) in enumerate(days):
        target = day + timedelta(days=days_before)
        since = target - timedelta(days=366 * ANNIVERSARY_YEARS)
        for first, years in anniversaries_of(target, calendar=calendar, since=since):
            starts.append(start_of(first, timezone))
            ends.append(start_of(first + timedelta(days=1), timezone))
            entries_of.append(index)
            years_of.append(years)
    if not starts:
        return []
    rows = await connection.execute_query_dict(
        _ANNIVERSARIES, [window.tenant.id, starts, ends, entries_of, years_of]
    )
    entries: list[Entry] = []
    for row in rows:
        day, moment = days[row["entry"]]
        target = day + timedelta(days=days_before)
        year = year_month_day(target, calendar=calendar)[0]
        entries.append(
            Entry(
                customer_id=row["id"],
                at=moment,
                key=f"anniversary:{year}",
                facts={
                    "trigger": "first_order_anniversary",
                    "day": day.isoformat(),
                    "date": target.isoformat(),
                    "year": year,
                    "first_order_at": row["first_order_at"].isoformat(),
                    "years": row["years"],
                },
            )
        )
    return entries


def _expiry_days(
    window: Window, days_before: int
) -> tuple[list[tuple[date, datetime]], list[datetime], list[datetime]]:
    days = window.pass_days()
    timezone = window.tenant.timezone
    starts = [start_of(day + timedelta(days=days_before), timezone) for day, _ in days]
    ends = [start_of(day + timedelta(days=days_before + 1), timezone) for day, _ in days]
    return days, starts, ends


_CREDIT = """
SELECT g.customer_id, d.entry, sum(g.amount) AS amount, min(g.expires_at) AS expires_at
FROM credit_entries AS g
JOIN unnest($2::timestamptz[], $3::timestamptz[], $4::timestamptz[], $5::int[])
  AS d(starts, ends, moment, entry)
  ON g.expires_at >= d.starts AND g.expires_at < d.ends AND g.available_at <= d.moment
WHERE g.tenant_id = $1 AND g.amount > 0 AND g.kind = ANY($6::text[])
GROUP BY g.customer_id, d.entry
"""


async def _credit(connection: BaseDBAsyncClient, window: Window, days_before: int) -> list[Entry]:
    days, starts, ends = _expiry_days(window, days_before)
    if not days:
        return []
    rows = await connection.execute_query_dict(
        _CREDIT,
        [
            window.tenant.id,
            starts,
            ends,
            [moment for _, moment in days],
            list(range(len(days))),
            list(ALLOCATED_KINDS),
        ],
    )
    entries: list[Entry] = []
    for row in rows:
        day, moment = days[row["entry"]]
        expiring = day + timedelta(days=days_before)
        entries.append(
            Entry(
                customer_id=row["customer_id"],
                at=moment,
                key=f"credit-expiry:{expiring.isoformat()}",
                facts={
                    "trigger": "credit_expiring",
                    "day": day.isoformat(),
                    "amount": int(row["amount"]),
                    "expires_at": row["expires_at"].isoformat(),
                },
            )
        )
    return entries


_COUPONS = """
SELECT k.id, k.customer_id, k.code, k.expires_at, d.entry FROM coupons AS k
JOIN coupon_templates AS t ON t.tenant_id = k.tenant_id AND t.id = k.template_id
JOIN unnest($2::timestamptz[], $3::timestamptz[], $4::timestamptz[], $5::int[])
  AS d(starts, ends, moment, entry)
  ON k.expires_at >= d.starts AND k.expires_at < d.ends AND k.issued_at <= d.moment
 AND (k.revoked_at IS NULL OR k.revoked_at > d.moment)
WHERE k.tenant_id = $1 AND k.customer_id IS NOT NULL
  AND (SELECT count(*) FROM coupon_redemptions AS cr
       WHERE cr.tenant_id = $1 AND cr.coupon_id = k.id AND cr.redeemed_at <= d.moment
         AND (cr.returned_at IS NULL OR cr.returned_at > d.moment))
      < LEAST(COALESCE(t.usage_limit, 2147483647), COALESCE(t.usage_limit_per_customer, 2147483647))
"""


async def _coupons(connection: BaseDBAsyncClient, window: Window, days_before: int) -> list[Entry]:
    days, starts, ends = _expiry_days(window, days_before)
    if not days:
        return []
    rows = await connection.execute_query_dict(
        _COUPONS, [window.tenant.id, starts, ends, [moment for _, moment in days], list(range(len(days)))]
    )
    entries: list[Entry] = []
    for row in rows:
        day, moment = days[row["entry"]]
        entries.append(
            Entry(
                customer_id=row["customer_id"],
                at=moment,
                key=f"coupon-expiry:{row['id']}",
                facts={
                    "trigger": "coupon_expiring",
                    "day": day.isoformat(),
                    "coupon_id": str(row["id"]),
                    "code": row["code"],
                    "expires_at": row["expires_at"].isoformat(),
                },
            )
        )
    return entries


def customer_ids(entries: Sequence[Entry]) -> list[UUID]:
    """The distinct customers of ``entries``, in first-seen order."""
    return list(dict.fromkeys(entry.customer_id for entry in entries))
