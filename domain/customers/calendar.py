"""Dates in a store's calendar: Jalali for Persian stores, Gregorian otherwise."""

from __future__ import annotations

from datetime import date

import jdatetime

CALENDARS = ("jalali", "gregorian")


def month_and_day(day: date, *, calendar: str) -> tuple[int | None, int | None]:
    """The month (1–12) and day of month of ``day`` in ``calendar``: 1990-03-21 is 1 Farvardin.

    Both None for a date the calendar does not reach (the Jalali calendar starts in 622)."""
    if calendar == "jalali":
        try:
            local = jdatetime.date.fromgregorian(date=day)
        except ValueError:
            return None, None
        return local.month, local.day
    return day.month, day.day
