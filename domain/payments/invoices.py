"""Monthly invoices of a store's charges, read from the wallet ledger, in the store's own calendar.

A month is a Jalali month for a store on the Jalali calendar (1 Farvardin to the end of Esfand) and a
Gregorian one otherwise, from local midnight of its first day to local midnight of the next month's, in
the store's timezone. An invoice lists the month's charges by kind (SMS parts, journey runs, the annual
subscription) with their counts, units and sums, the refunds given back, and the top-ups paid in; its total
is charges less refunds. All amounts are integer rials, as the ledger keeps them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo

import jdatetime
from tortoise import connections

from domain.errors import DomainError
from domain.tenancy.models import Tenant

JALALI_MONTHS_FA: Final = tuple(jdatetime.date.j_months_fa)
GREGORIAN_MONTHS: Final = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
MAX_MONTHS_LISTED: Final = 120


@dataclass(frozen=True)
class Period:
    """One month of the store's calendar, as [start, end) instants."""

    year: int
    month: int
    calendar: str
    start: datetime
    end: datetime

    @property
    def label(self) -> str:
        """The month's name and year in its calendar: «مهر ۱۴۰۵» or «October 2026»."""
        if self.calendar == "jalali":
            return f"{JALALI_MONTHS_FA[self.month - 1]} {self.year}"
        return f"{GREGORIAN_MONTHS[self.month - 1]} {self.year}"


@dataclass(frozen=True)
class InvoiceLine:
    """The month's ledger lines of one kind: charges by what they paid for, or refunds."""

    kind: str
    entries: int
    quantity: int
    amount: int


@dataclass(frozen=True)
class Invoice:
    period: Period
    charges: tuple[InvoiceLine, ...]
    refunds: int
    top_ups: int
    top_up_count: int

    @property
    def charged(self) -> int:
        return sum(line.amount for line in self.charges)

    @property
    def total(self) -> int:
        """What the month cost the store: its charges less what was given back."""
        return self.charged - self.refunds


def _local_start(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), tzinfo=zone)


def period(tenant: Tenant, year: int, month: int) -> Period:
    """The month ``year``-``month`` of the store's calendar; ``INVALID_PERIOD`` outside 1..12 or the
    calendar's years."""
    if not 1 <= month <= 12 or not 1 <= year <= 9000:
        raise DomainError("INVALID_PERIOD", "No such month.", field="month")
    zone = ZoneInfo(tenant.timezone)
    next_year, next_month = (year + 1, 1) if month == 12 else (year, month + 1)
    try:
        if tenant.calendar == "jalali":
            first = jdatetime.date(year, month, 1).togregorian()
            following = jdatetime.date(next_year, next_month, 1).togregorian()
        else:
            first, following = date(year, month, 1), date(next_year, next_month, 1)
    except (ValueError, OverflowError):
        raise DomainError("INVALID_PERIOD", "No such month.", field="year") from None
    calendar = "jalali" if tenant.calendar == "jalali" else "gregorian"
    return Period(year, month, calendar, _local_start(first, zone), _local_start(following, zone))


def period_of(tenant: Tenant, moment: datetime) -> Period:
    """The month of the store's calendar that ``moment`` falls in."""
    local = moment.astimezone(ZoneInfo(tenant.timezone)).date()
    if tenant.calendar == "jalali":
        jalali = jdatetime.date.fromgregorian(date=local)
        return period(tenant, jalali.year, jalali.month)
    return period(tenant, local.year, local.month)


_LINES: Final = """
SELECT kind, coalesce(charge_kind, kind) AS what, count(*) AS entries,
       coalesce(sum(quantity), 0)::bigint AS quantity, sum(amount)::bigint AS amount
FROM wallet_entries
WHERE tenant_id = $1 AND created_at >= $2 AND created_at < $3 AND kind IN ('charge', 'refund', 'top_up')
GROUP BY kind, coalesce(charge_kind, kind)
ORDER BY kind, what
"""

_CHARGED_DAYS: Final = """
SELECT (created_at AT TIME ZONE $2)::date AS day, sum(amount)::bigint AS amount
FROM wallet_entries
WHERE tenant_id = $1 AND kind = 'charge'
GROUP BY 1
ORDER BY 1 DESC
"""


async def invoice(tenant: Tenant, year: int, month: int) -> Invoice:
    """The store's invoice of that month: one statement over its ledger lines."""
    chosen = period(tenant, year, month)
    rows = await connections.get("default").execute_query_dict(_LINES, [tenant.id, chosen.start, chosen.end])
    charges = tuple(
        InvoiceLine(row["what"], int(row["entries"]), int(row["quantity"]), int(row["amount"]))
        for row in rows
        if row["kind"] == "charge"
    )
    refunds = sum(int(row["amount"]) for row in rows if row["kind"] == "refund")
    top_ups = [row for row in rows if row["kind"] == "top_up"]
    return Invoice(
        period=chosen,
        charges=charges,
        refunds=refunds,
        top_ups=sum(int(row["amount"]) for row in top_ups),
        top_up_count=sum(int(row["entries"]) for row in top_ups),
    )


@dataclass(frozen=True)
class InvoiceMonth:
    """A month the store was charged in, and how much."""

    period: Period
    charged: int


async def charged_months(tenant: Tenant) -> list[InvoiceMonth]:
    """Every month of the store's calendar with charges, newest first (at most :data:`MAX_MONTHS_LISTED`).

    The ledger is summed per local day in SQL (a few hundred rows a year) and the days are put into
    months here, since PostgreSQL knows no Jalali month."""
    rows = await connections.get("default").execute_query_dict(_CHARGED_DAYS, [tenant.id, tenant.timezone])
    months: dict[tuple[int, int], int] = {}
    order: list[tuple[int, int]] = []
    for row in rows:
        day: date = row["day"]
        if tenant.calendar == "jalali":
            local = jdatetime.date.fromgregorian(date=day)
            key = (local.year, local.month)
        else:
            key = (day.year, day.month)
        if key not in months:
            order.append(key)
            months[key] = 0
        months[key] += int(row["amount"])
    return [
        InvoiceMonth(period(tenant, year, month), months[(year, month)])
        for year, month in order[:MAX_MONTHS_LISTED]
    ]


def local_date(tenant: Tenant, moment: datetime, *, with_time: bool = True) -> str:
    """``moment`` in the store's calendar and timezone: «1405/07/09 14:30» or «2026-10-01 14:30»."""
    local = moment.astimezone(ZoneInfo(tenant.timezone))
    clock = f" {local:%H:%M}" if with_time else ""
    if tenant.calendar == "jalali":
        jalali = jdatetime.date.fromgregorian(date=local.date())
        return f"{jalali.year:04d}/{jalali.month:02d}/{jalali.day:02d}{clock}"
    return f"{local:%Y-%m-%d}{clock}"


def last_day(chosen: Period) -> datetime:
    """The period's last local day (for "to" on a printed invoice)."""
    return chosen.end - timedelta(days=1)
