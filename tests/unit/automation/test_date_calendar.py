"""Days in a store's calendar: leap days celebrated in common years, anniversaries per earlier year,
local days and midnights in the store's timezone."""

from __future__ import annotations

from datetime import UTC, date, datetime

import jdatetime

from domain.automation.date_calendar import (
    anniversaries_of,
    celebrated_on,
    days_between,
    local_day,
    next_celebration,
    start_of,
    year_month_day,
)


def jalali(year: int, month: int, day: int) -> date:
    return jdatetime.date(year, month, day).togregorian()


def test_esfand_29_of_a_common_year_also_celebrates_esfand_30() -> None:
    """1404 is a common year, 1403 a leap year: only 1404's Esfand 29 takes in Esfand 30."""
    # given / when / then
    assert celebrated_on(jalali(1404, 12, 29), calendar="jalali") == [(12, 29), (12, 30)]
    assert celebrated_on(jalali(1403, 12, 29), calendar="jalali") == [(12, 29)]
    assert celebrated_on(jalali(1403, 12, 30), calendar="jalali") == [(12, 30)]
    assert celebrated_on(jalali(1405, 1, 1), calendar="jalali") == [(1, 1)]


def test_february_28_of_a_common_year_also_celebrates_february_29() -> None:
    """2027 and 2100 are common years (2100 is a century), 2028 and 2000 leap years."""
    # given / when / then
    assert celebrated_on(date(2027, 2, 28), calendar="gregorian") == [(2, 28), (2, 29)]
    assert celebrated_on(date(2100, 2, 28), calendar="gregorian") == [(2, 28), (2, 29)]
    assert celebrated_on(date(2028, 2, 28), calendar="gregorian") == [(2, 28)]
    assert celebrated_on(date(2000, 2, 28), calendar="gregorian") == [(2, 28)]
    assert celebrated_on(date(2027, 3, 1), calendar="gregorian") == [(3, 1)]


def test_anniversaries_are_one_day_per_earlier_year_and_leap_days_in_common_years() -> None:
    """The anniversaries on 1404-12-29 are Esfand 29 of every earlier year and Esfand 30 of the leap
    ones, never this year's, never before ``since``."""
    # given
    day = jalali(1404, 12, 29)
    # when
    found = anniversaries_of(day, calendar="jalali", since=jalali(1401, 6, 1))
    # then
    assert found == [
        (jalali(1401, 12, 29), 3),
        (jalali(1402, 12, 29), 2),
        (jalali(1403, 12, 29), 1),
        (jalali(1403, 12, 30), 1),
    ]
    assert anniversaries_of(day, calendar="jalali", since=day) == []


def test_gregorian_anniversaries_of_a_leap_day() -> None:
    """28 February 2027 is the anniversary of 28 and 29 February 2024."""
    # given / when
    found = anniversaries_of(date(2027, 2, 28), calendar="gregorian", since=date(2024, 1, 1))
    # then
    assert found == [
        (date(2024, 2, 28), 3),
        (date(2024, 2, 29), 3),
        (date(2025, 2, 28), 2),
        (date(2026, 2, 28), 1),
    ]


def test_the_next_celebration_of_a_leap_day_is_the_last_day_of_its_month_in_common_years() -> None:
    """Esfand 30 next falls on 1404-12-29; 29 February on 28 February 2027, then on 2028's own."""
    # given / when / then
    assert next_celebration(12, 30, on_or_after=date(2025, 4, 1), calendar="jalali") == jalali(1404, 12, 29)
    assert next_celebration(2, 29, on_or_after=date(2026, 3, 1), calendar="gregorian") == date(2027, 2, 28)
    assert next_celebration(2, 29, on_or_after=date(2027, 3, 1), calendar="gregorian") == date(2028, 2, 29)
    assert next_celebration(5, 1, on_or_after=date(2026, 5, 1), calendar="gregorian") == date(2026, 5, 1)


def test_local_days_and_midnights_follow_the_stores_timezone() -> None:
    """21:00 UTC is already tomorrow in Tehran; midnight there is 20:30 UTC the day before."""
    # given
    moment = datetime(2026, 11, 22, 21, 0, tzinfo=UTC)
    # when / then
    assert local_day(moment, "Asia/Tehran") == date(2026, 11, 23)
    assert local_day(moment, "America/Los_Angeles") == date(2026, 11, 22)
    assert start_of(date(2026, 11, 23), "Asia/Tehran").astimezone(UTC) == datetime(
        2026, 11, 22, 20, 30, tzinfo=UTC
    )
    assert year_month_day(date(2026, 3, 21), calendar="jalali") == (1405, 1, 1)
    assert days_between(date(2026, 1, 30), date(2026, 2, 2)) == [
        date(2026, 1, 30),
        date(2026, 1, 31),
        date(2026, 2, 1),
        date(2026, 2, 2),
    ]
    assert days_between(date(2026, 2, 2), date(2026, 2, 1)) == []
