"""Dates in a store's calendar: Jalali for Persian stores, Gregorian otherwise."""

from __future__ import annotations

from datetime import date

import jdatetime

CALENDARS = ("jalali", "gregorian")


def month_and_day(day: date, *, calendar: str) -> tuple[int, int]:
    """The month (1–12) and day of month of ``day`` in ``calendar``: 1990-03-21 is 1 Farvardin."""
    if calendar == "jalali":
        local = jdatetime.date.fromgregorian(date=day)
        return local.month, local.day
    return day.month, day.day
