"""When a ``wait`` step ends: a duration, a local time of day, a weekday, or a date of the customer's.

Everything local is the store's: its timezone for times of day and weekdays, its calendar (Jalali or
Gregorian) for birthdays and anniversaries. A moment already past does not wait (the run goes on at
once); a wait on a date the customer lacks (no birthday, no coupon) is skipped with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from domain.automation.date_calendar import next_celebration, year_month_day
from domain.automation.definition import WaitStep, clock_time


@dataclass(frozen=True)
class CustomerDates:
    """The dates a wait may aim at, as far as this run knows them."""

    birth_month: int | None = None
    birth_day: int | None = None
    first_order_at: datetime | None = None
    coupon_expires_at: datetime | None = None
    credit_expires_at: datetime | None = None


@dataclass(frozen=True)
class WaitEnd:
    """The wait ends at ``until`` — or, when ``until`` is None, cannot be placed (``reason``)."""

    until: datetime | None
    reason: str = ""


def wait_end(step: WaitStep, *, now: datetime, timezone: str, calendar: str, dates: CustomerDates) -> WaitEnd:
    """When ``step``, reached at ``now``, lets the run go on."""
    zone = ZoneInfo(timezone)
    if step.duration is not None:
        return WaitEnd(now + timedelta(minutes=step.duration.total_minutes))
    if step.until_time is not None:
        return WaitEnd(next_time_of_day(now, clock_time(step.until_time), zone))
    if step.until_weekday is not None:
        at = clock_time(step.at) if step.at else time()
        return WaitEnd(next_weekday(now, step.until_weekday, at, zone))
    return _date_field(step, now=now, zone=zone, calendar=calendar, dates=dates)


def next_time_of_day(now: datetime, at: time, zone: ZoneInfo) -> datetime:
    """The first moment at or after ``now`` whose local time is ``at``."""
    local = now.astimezone(zone)
    candidate = _local(local.date(), at, zone)
    if candidate < now:
        candidate = _local(local.date() + timedelta(days=1), at, zone)
    return candidate


def next_weekday(now: datetime, weekday: int, at: time, zone: ZoneInfo) -> datetime:
    """The first moment at or after ``now`` on ``weekday`` (0 = Monday) at local time ``at``."""
    local = now.astimezone(zone)
    ahead = (weekday - local.weekday()) % 7
    candidate = _local(local.date() + timedelta(days=ahead), at, zone)
    if candidate < now:
        candidate = _local(local.date() + timedelta(days=ahead + 7), at, zone)
    return candidate


def _date_field(
    step: WaitStep, *, now: datetime, zone: ZoneInfo, calendar: str, dates: CustomerDates
) -> WaitEnd:
    at = clock_time(step.at) if step.at else None
    today = now.astimezone(zone).date()
    field = step.until_date_field
    offset = timedelta(days=step.offset_days)
    if field in ("birthday", "first_order_anniversary"):
        if field == "birthday":
            if dates.birth_month is None or dates.birth_day is None:
                return WaitEnd(None, "The customer's birthday is not known.")
            month, day = dates.birth_month, dates.birth_day
        else:
            if dates.first_order_at is None:
                return WaitEnd(None, "The customer has no first order.")
            _, month, day = year_month_day(dates.first_order_at.astimezone(zone).date(), calendar=calendar)
        # The next occasion whose shifted day is still ahead: "3 days before" a birthday two days away
        # aims at next year's, not at a day already gone.
        start = today - offset
        occasion = next_celebration(month, day, on_or_after=start, calendar=calendar)
        return WaitEnd(max(_local(occasion + offset, at or time(), zone), now))
    moment = dates.coupon_expires_at if field == "coupon_expiry" else dates.credit_expires_at
    if moment is None:
        what = "coupon" if field == "coupon_expiry" else "credit"
        return WaitEnd(None, f"No expiring {what} is known to this run.")
    shifted = moment + offset
    if at is not None:
        shifted = _local(shifted.astimezone(zone).date(), at, zone)
    return WaitEnd(max(shifted, now))


def _local(day: date, at: time, zone: ZoneInfo) -> datetime:
    """``day`` at ``at`` on the store's clock (a time skipped by a clock change lands after it)."""
    return datetime.combine(day, at, tzinfo=zone)
