"""Days in a store's own calendar and timezone, for the journeys' date triggers.

A store's day starts at midnight in its timezone, and its anniversaries follow its calendar: Jalali
for Persian stores, Gregorian otherwise (``tenant.calendar``). Two days exist only in leap years:

- **Esfand 30** (the last day of a leap Jalali year): in a common year it is celebrated on Esfand 29,
  the year's last day.
- **February 29**: in a common year it is celebrated on February 28.

So the birthdays and anniversaries *celebrated* on a day are its own month and day, plus the leap
day when the day is the last day of that month in a common year (:func:`celebrated_on`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo

import jdatetime

JALALI: Final = "jalali"
GREGORIAN: Final = "gregorian"

JALALI_FIRST_YEAR: Final = 1
"""The Jalali calendar starts in 622; earlier Gregorian days have no Jalali date."""


def local_day(moment: datetime, timezone: str) -> date:
    """The day ``moment`` falls on in ``timezone`` (the store's day, not UTC's)."""
    return moment.astimezone(ZoneInfo(timezone)).date()


def start_of(day: date, timezone: str) -> datetime:
    """Midnight at the start of ``day`` in ``timezone``, as an aware datetime."""
    return datetime.combine(day, time(), tzinfo=ZoneInfo(timezone))


def year_month_day(day: date, *, calendar: str) -> tuple[int, int, int]:
    """``day`` as (year, month, day) in ``calendar``: 2026-03-21 is (1405, 1, 1) in Jalali."""
    if calendar == JALALI:
        local = jdatetime.date.fromgregorian(date=day)
        return local.year, local.month, local.day
    return day.year, day.month, day.day


def celebrated_on(day: date, *, calendar: str) -> list[tuple[int, int]]:
    """The (month, day) pairs whose birthdays fall on ``day`` in ``calendar``.

    The day's own month and day; on Esfand 29 of a common Jalali year also Esfand 30, and on
    February 28 of a common Gregorian year also February 29.
    """
    year, month, dom = year_month_day(day, calendar=calendar)
    pairs = [(month, dom)]
    if calendar == JALALI:
        if (month, dom) == (12, 29) and not jdatetime.date(year, 1, 1).isleap():
            pairs.append((12, 30))
    elif (month, dom) == (2, 28) and not _gregorian_leap(year):
        pairs.append((2, 29))
    return pairs


def anniversaries_of(day: date, *, calendar: str, since: date) -> list[tuple[date, int]]:
    """The Gregorian days from ``since`` on whose anniversary in ``calendar`` is ``day``, each with
    how many years ago it was (1 or more).

    One day per earlier year with the same month and day, and in common years the leap day too
    (see :func:`celebrated_on`): 1403-12-30 (2025-03-20) has its first anniversary on 1404-12-29.
    """
    year, _, _ = year_month_day(day, calendar=calendar)
    pairs = celebrated_on(day, calendar=calendar)
    first = year_month_day(since, calendar=calendar)[0] if since <= day else year
    found: list[tuple[date, int]] = []
    for earlier in range(max(first, JALALI_FIRST_YEAR if calendar == JALALI else 1), year):
        for month, dom in pairs:
            gregorian = _to_gregorian(earlier, month, dom, calendar=calendar)
            if gregorian is not None and gregorian >= since:
                found.append((gregorian, year - earlier))
    return found


def days_between(first: date, last: date) -> Sequence[date]:
    """Every day from ``first`` to ``last``, both included (empty when ``last`` is earlier)."""
    return [first + timedelta(days=offset) for offset in range((last - first).days + 1)]


def _to_gregorian(year: int, month: int, dom: int, *, calendar: str) -> date | None:
    """The Gregorian day of (year, month, day) in ``calendar``, or None when that year lacks it."""
    try:
        if calendar == JALALI:
            return jdatetime.date(year, month, dom).togregorian()
        return date(year, month, dom)
    except ValueError:
        return None


def _gregorian_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def next_celebration(month: int, dom: int, *, on_or_after: date, calendar: str) -> date:
    """The first day from ``on_or_after`` on that celebrates (month, day) of ``calendar``: the day
    itself in the years that have it, the last day of its month in those that do not (Esfand 30 on
    Esfand 29, February 29 on February 28)."""
    year = year_month_day(on_or_after, calendar=calendar)[0]
    for candidate_year in (year, year + 1):
        day = _to_gregorian(candidate_year, month, dom, calendar=calendar)
        if day is None:
            day = _to_gregorian(candidate_year, month, dom - 1, calendar=calendar)
        if day is not None and day >= on_or_after:
            return day
    raise ValueError(f"no day celebrates {month}-{dom} in {calendar}")
