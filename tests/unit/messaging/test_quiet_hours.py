"""Quiet hours on the store's wall clock: marketing waits for the window to open, transactional goes at
once; the boundaries in Asia/Tehran (no daylight saving), a window not crossing midnight, none at all,
and the nights a European clock changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from domain.errors import DomainError
from domain.messaging import policy
from domain.tenancy.models import Tenant

TEHRAN = ZoneInfo("Asia/Tehran")
LONDON = ZoneInfo("Europe/London")


def store(*, timezone: str = "Asia/Tehran", start: str = "22:00", end: str = "08:00") -> Tenant:
    return Tenant(
        name="Ketab",
        timezone=timezone,
        quiet_hours_start=policy.parse_time(start, field="start"),
        quiet_hours_end=policy.parse_time(end, field="end"),
    )


def tehran(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=TEHRAN)


@pytest.mark.parametrize(
    ("local", "opens"),
    [
        (tehran(1, 21, 59), tehran(1, 21, 59)),
        (tehran(1, 22, 0), tehran(2, 8, 0)),
        (tehran(1, 23, 59), tehran(2, 8, 0)),
        (tehran(2, 0, 0), tehran(2, 8, 0)),
        (tehran(2, 7, 59), tehran(2, 8, 0)),
        (tehran(2, 8, 0), tehran(2, 8, 0)),
    ],
)
def test_marketing_waits_for_the_window_to_open_at_the_tehran_boundaries(
    local: datetime, opens: datetime
) -> None:
    """22:00 and 07:59 are quiet, 21:59 and 08:00 are not; a quiet moment waits for 08:00 local."""
    # given
    tenant = store()
    # when
    due = policy.next_send_time(tenant=tenant, purpose="marketing", now=local.astimezone(UTC))
    # then
    assert due == opens
    assert due.tzinfo is not None


def test_transactional_messages_go_at_once_in_quiet_hours() -> None:
    """A receipt at 23:00 is not held until morning."""
    # given
    now = tehran(1, 23, 0).astimezone(UTC)
    # when
    due = policy.next_send_time(tenant=store(), purpose="transactional", now=now)
    # then
    assert due == now


def test_equal_start_and_end_mean_no_quiet_hours() -> None:
    """A store that set 00:00–00:00 sends marketing at 03:00."""
    # given
    now = tehran(2, 3, 0).astimezone(UTC)
    # when
    due = policy.next_send_time(tenant=store(start="00:00", end="00:00"), purpose="marketing", now=now)
    # then
    assert due == now


@pytest.mark.parametrize(
    ("local", "opens"),
    [
        (tehran(1, 12, 59), tehran(1, 12, 59)),
        (tehran(1, 13, 0), tehran(1, 15, 0)),
        (tehran(1, 14, 59), tehran(1, 15, 0)),
        (tehran(1, 15, 0), tehran(1, 15, 0)),
    ],
)
def test_a_window_inside_one_day_opens_the_same_day(local: datetime, opens: datetime) -> None:
    """13:00–15:00 (a siesta) holds 13:00 and 14:59 until 15:00, and nothing else."""
    # given
    tenant = store(start="13:00", end="15:00")
    # when
    due = policy.next_send_time(tenant=tenant, purpose="marketing", now=local.astimezone(UTC))
    # then
    assert due == opens


def test_the_window_opens_on_the_wall_clock_after_the_clocks_go_forward() -> None:
    """London, 28 March 2027 (01:00 GMT → 02:00 BST): 23:30 on the 27th waits for 08:00 BST, 07:00 UTC."""
    # given
    tenant = store(timezone="Europe/London")
    now = datetime(2027, 3, 27, 23, 30, tzinfo=LONDON).astimezone(UTC)
    # when
    due = policy.next_send_time(tenant=tenant, purpose="marketing", now=now)
    # then
    assert due == datetime(2027, 3, 28, 7, 0, tzinfo=UTC)
    assert due - now == timedelta(hours=7, minutes=30)  # one hour of the night never happened


def test_the_window_opens_on_the_wall_clock_after_the_clocks_go_back() -> None:
    """London, 31 October 2027 (02:00 BST → 01:00 GMT): 22:30 BST on the 30th waits for 08:00 GMT."""
    # given
    tenant = store(timezone="Europe/London")
    now = datetime(2027, 10, 30, 22, 30, tzinfo=LONDON).astimezone(UTC)
    # when
    due = policy.next_send_time(tenant=tenant, purpose="marketing", now=now)
    # then
    assert due == datetime(2027, 10, 31, 8, 0, tzinfo=UTC)
    assert due - now == timedelta(hours=10, minutes=30)


def test_an_opening_the_clock_skips_lands_as_far_after_the_gap() -> None:
    """A window ending at 01:30 on the night London skips 01:00–02:00 opens at 02:30 BST (01:30 UTC)."""
    # given
    tenant = store(timezone="Europe/London", start="22:00", end="01:30")
    now = datetime(2027, 3, 28, 0, 45, tzinfo=LONDON).astimezone(UTC)
    # when
    due = policy.next_send_time(tenant=tenant, purpose="marketing", now=now)
    # then
    assert due == datetime(2027, 3, 28, 1, 30, tzinfo=UTC)
    assert due.astimezone(LONDON).strftime("%H:%M") == "02:30"


def test_a_moment_inside_the_repeated_hour_of_autumn_is_still_quiet() -> None:
    """01:30 GMT (the second 01:30 of 31 October 2027) is inside 22:00–08:00 and waits for 08:00 GMT."""
    # given
    tenant = store(timezone="Europe/London")
    now = datetime(2027, 10, 31, 1, 30, tzinfo=UTC)
    # when
    due = policy.next_send_time(tenant=tenant, purpose="marketing", now=now)
    # then
    assert due == datetime(2027, 10, 31, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "text", ["", "7:00", "07:0", "24:00", "07:60", "-1:00", "٠٧:٠٠", "07:00\x00", "0" * 10_000]
)
def test_times_of_day_outside_hh_mm_are_refused(text: str) -> None:
    """Only two ASCII digits, a colon and two more, 00:00 to 23:59, are a time of day."""
    # when / then
    with pytest.raises(DomainError) as refused:
        policy.parse_time(text, field="quietHoursStart")
    assert (refused.value.code, refused.value.field) == ("INVALID", "quietHoursStart")


@pytest.mark.parametrize(("text", "minute"), [("00:00", 0), ("07:59", 479), ("22:00", 1320), ("23:59", 1439)])
def test_times_of_day_round_trip(text: str, minute: int) -> None:
    """HH:MM reads as minutes after midnight and writes back the same."""
    assert policy.parse_time(text, field="t") == minute
    assert policy.format_time(minute) == text
