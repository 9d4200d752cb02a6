"""Birthdays are kept as a month and day in the store's calendar."""

from __future__ import annotations

from datetime import date

from domain.customers.calendar import month_and_day


def test_a_persian_store_counts_birthdays_in_the_jalali_calendar() -> None:
    assert month_and_day(date(1990, 3, 21), calendar="jalali") == (1, 1)  # 1 Farvardin 1369
    assert month_and_day(date(1992, 8, 14), calendar="jalali") == (5, 23)  # 23 Mordad 1371


def test_other_stores_count_them_in_the_gregorian_calendar() -> None:
    assert month_and_day(date(1992, 8, 14), calendar="gregorian") == (8, 14)


def test_a_date_before_the_jalali_calendar_has_no_month_or_day_there() -> None:
    """Year 216 is accepted as a birthday by the event schema; it has no Jalali date, and is not an error."""
    assert month_and_day(date(216, 5, 18), calendar="jalali") == (None, None)
