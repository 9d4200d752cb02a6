"""When a wait ends: durations, local times of day and weekdays on the store's clock, and the
customer's dates in the store's calendar (Jalali birthdays, leap days), shifted by days."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from domain.automation.definition import WaitStep
from domain.automation.waits import CustomerDates, wait_end

TEHRAN = ZoneInfo("Asia/Tehran")
BERLIN = ZoneInfo("Europe/Berlin")


def wait(**fields: Any) -> WaitStep:
    return WaitStep(id="w", **fields)


def local(zone: ZoneInfo, *parts: int) -> datetime:
    return datetime(*parts, tzinfo=zone)  # type: ignore[misc]


def end(
    step: WaitStep, now: datetime, *, zone: str = "Asia/Tehran", calendar: str = "jalali", **dates: Any
) -> datetime | None:
    return wait_end(step, now=now, timezone=zone, calendar=calendar, dates=CustomerDates(**dates)).until


def test_a_duration_counts_from_the_moment_the_wait_is_reached() -> None:
    """3 days, 2 hours and 5 minutes later, to the minute."""
    # given
    now = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
    # when
    until = end(wait(duration={"days": 3, "hours": 2, "minutes": 5}), now)
    # then
    assert until == now + timedelta(days=3, hours=2, minutes=5)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (local(TEHRAN, 2026, 11, 22, 9, 0), local(TEHRAN, 2026, 11, 22, 10, 0)),  # later today
        (local(TEHRAN, 2026, 11, 22, 10, 0), local(TEHRAN, 2026, 11, 22, 10, 0)),  # exactly now: no wait
        (local(TEHRAN, 2026, 11, 22, 23, 59), local(TEHRAN, 2026, 11, 23, 10, 0)),  # past: tomorrow
    ],
)
def test_until_a_time_of_day_is_the_next_such_time_on_the_stores_clock(
    now: datetime, expected: datetime
) -> None:
    """10:00 means Tehran's 10:00 for a Tehran store: later today, or tomorrow once it has passed."""
    # when
    until = end(wait(until_time="10:00"), now)
    # then
    assert until == expected


def test_a_time_of_day_follows_the_stores_own_clock_across_a_clock_change() -> None:
    """A Berlin store's 10:00 the day after the clocks go back is 09:00 UTC, not 08:00."""
    # given: Saturday 24 October 2026, 12:00 in Berlin (summer time ends on the 25th)
    now = local(BERLIN, 2026, 10, 24, 12, 0)
    # when
    until = end(wait(until_time="10:00"), now, zone="Europe/Berlin", calendar="gregorian")
    # then
    assert until is not None and until.astimezone(UTC) == datetime(2026, 10, 25, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "weekday", "at", "expected"),
    [
        # Sunday 22 November 2026 → Friday 27th at 09:00
        (local(TEHRAN, 2026, 11, 22, 9, 0), 4, "09:00", local(TEHRAN, 2026, 11, 27, 9, 0)),
        # a Friday after 09:00 → the next Friday
        (local(TEHRAN, 2026, 11, 27, 9, 30), 4, "09:00", local(TEHRAN, 2026, 12, 4, 9, 0)),
        # a Friday before 09:00 → today
        (local(TEHRAN, 2026, 11, 27, 8, 0), 4, "09:00", local(TEHRAN, 2026, 11, 27, 9, 0)),
        # no time: the weekday's midnight
        (local(TEHRAN, 2026, 11, 22, 9, 0), 0, None, local(TEHRAN, 2026, 11, 23, 0, 0)),
    ],
)
def test_until_a_weekday_is_the_next_such_day_at_its_time(
    now: datetime, weekday: int, at: str | None, expected: datetime
) -> None:
    """0 is Monday … 4 Friday; with ``at`` the day's time, without it the day's start."""
    # when
    until = end(wait(until_weekday=weekday, at=at), now)
    # then
    assert until == expected


def test_a_birthday_in_the_jalali_calendar_is_the_next_nowruz_for_1_farvardin() -> None:
    """Born on 1 Farvardin: from 1 Azar 1405 the next birthday is 1 Farvardin 1406 (2027-03-21);
    three days before it is 2027-03-18, at the given time."""
    # given
    now = local(TEHRAN, 2026, 11, 22, 9, 0)
    # when
    on_the_day = end(wait(until_date_field="birthday"), now, birth_month=1, birth_day=1)
    before = end(
        wait(until_date_field="birthday", offset_days=-3, at="10:00"), now, birth_month=1, birth_day=1
    )
    # then
    assert on_the_day == local(TEHRAN, 2027, 3, 21, 0, 0)
    assert before == local(TEHRAN, 2027, 3, 18, 10, 0)


def test_a_shifted_birthday_already_gone_aims_at_next_years() -> None:
    """Three days before a birthday two days away has passed: the wait aims at next year's."""
    # given: 28 Esfand 1405 is 2027-03-19; the birthday 1 Farvardin is two days away
    now = local(TEHRAN, 2027, 3, 19, 12, 0)
    # when
    until = end(wait(until_date_field="birthday", offset_days=-3), now, birth_month=1, birth_day=1)
    # then: 1 Farvardin 1407 is 2028-03-20, three days before is 2028-03-17
    assert until == local(TEHRAN, 2028, 3, 17, 0, 0)


def test_esfand_30_is_celebrated_on_esfand_29_in_a_common_year() -> None:
    """1405 is a common Jalali year: a birthday on Esfand 30 falls on Esfand 29 (2027-03-20)."""
    # given
    now = local(TEHRAN, 2026, 11, 22, 9, 0)
    # when
    until = end(wait(until_date_field="birthday"), now, birth_month=12, birth_day=30)
    # then
    assert until == local(TEHRAN, 2027, 3, 20, 0, 0)


def test_the_first_order_anniversary_is_read_in_the_stores_calendar() -> None:
    """A first order on 2025-12-01 (10 Azar 1404) has its anniversary on 10 Azar 1405 (2026-12-01)
    for a Jalali store, and on 1 December for a Gregorian one."""
    # given
    now = local(TEHRAN, 2026, 11, 22, 9, 0)
    first = local(TEHRAN, 2025, 12, 1, 18, 0)
    # when
    jalali = end(wait(until_date_field="first_order_anniversary"), now, first_order_at=first)
    gregorian = end(
        wait(until_date_field="first_order_anniversary"), now, calendar="gregorian", first_order_at=first
    )
    # then
    assert jalali == local(TEHRAN, 2026, 12, 1, 0, 0)
    assert gregorian == local(TEHRAN, 2026, 12, 1, 0, 0)


def test_a_coupon_expiry_wait_is_the_expiry_shifted_and_placed_at_a_time() -> None:
    """Two days before the coupon expires, at 11:00 local."""
    # given
    now = local(TEHRAN, 2026, 11, 22, 9, 0)
    expires = local(TEHRAN, 2026, 11, 29, 23, 59)
    # when
    until = end(
        wait(until_date_field="coupon_expiry", offset_days=-2, at="11:00"), now, coupon_expires_at=expires
    )
    exact = end(wait(until_date_field="coupon_expiry", offset_days=-2), now, coupon_expires_at=expires)
    # then
    assert until == local(TEHRAN, 2026, 11, 27, 11, 0)
    assert exact == expires - timedelta(days=2)


@pytest.mark.parametrize(
    ("field", "reason"),
    [
        ("birthday", "The customer's birthday is not known."),
        ("first_order_anniversary", "The customer has no first order."),
        ("coupon_expiry", "No expiring coupon is known to this run."),
        ("credit_expiry", "No expiring credit is known to this run."),
    ],
)
def test_a_date_the_customer_lacks_cannot_be_waited_for(field: str, reason: str) -> None:
    """No date: no end, and the reason the step is skipped."""
    # when
    result = wait_end(
        WaitStep.model_validate({"id": "w", "until_date_field": field}),
        now=datetime(2026, 11, 22, tzinfo=UTC),
        timezone="Asia/Tehran",
        calendar="jalali",
        dates=CustomerDates(),
    )
    # then
    assert (result.until, result.reason) == (None, reason)


def test_a_moment_already_past_does_not_wait() -> None:
    """A credit expiry two days before yesterday's: the wait ends now."""
    # given
    now = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
    # when
    until = end(
        wait(until_date_field="credit_expiry", offset_days=-2), now, credit_expires_at=now + timedelta(days=1)
    )
    # then
    assert until == now
