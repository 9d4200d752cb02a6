"""When a campaign may send: quiet hours always, and its own window when it has one."""

from __future__ import annotations

from datetime import UTC, datetime

from domain.campaigns.models import Campaign
from domain.campaigns.window import next_open
from domain.tenancy.models import Tenant

TEHRAN = Tenant(name="Ketab", timezone="Asia/Tehran", quiet_hours_start=22 * 60, quiet_hours_end=8 * 60)


def campaign(start: int | None, end: int | None) -> Campaign:
    return Campaign(name="c", template="x", window_start=start, window_end=end)


def test_inside_the_window_it_sends_now() -> None:
    """12:30 local, window 10:00–20:00: now."""
    now = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
    assert next_open(tenant=TEHRAN, campaign=campaign(600, 1200), now=now) == now


def test_before_the_window_it_waits_for_its_start() -> None:
    """12:30 local, window 18:00–21:00: today 18:00 local (14:30 UTC)."""
    now = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
    assert next_open(tenant=TEHRAN, campaign=campaign(1080, 1260), now=now) == datetime(
        2026, 11, 22, 14, 30, tzinfo=UTC
    )


def test_after_the_window_it_waits_for_tomorrows() -> None:
    """21:30 local, window 10:00–20:00: tomorrow 10:00 local."""
    now = datetime(2026, 11, 22, 18, 0, tzinfo=UTC)
    assert next_open(tenant=TEHRAN, campaign=campaign(600, 1200), now=now) == datetime(
        2026, 11, 23, 6, 30, tzinfo=UTC
    )


def test_quiet_hours_win_over_a_window_inside_them() -> None:
    """Window 23:00–01:00 lies wholly in the 22:00–08:00 quiet hours, so it cannot be kept: at 21:30
    it sends now, at 23:30 at the quiet hours' end (08:00 local)."""
    evening = datetime(2026, 11, 22, 18, 0, tzinfo=UTC)
    night = datetime(2026, 11, 22, 20, 0, tzinfo=UTC)
    assert next_open(tenant=TEHRAN, campaign=campaign(1380, 60), now=evening) == evening
    assert next_open(tenant=TEHRAN, campaign=campaign(1380, 60), now=night) == datetime(
        2026, 11, 23, 4, 30, tzinfo=UTC
    )


def test_without_a_window_only_quiet_hours_apply() -> None:
    """23:30 local with no window: 08:00 local the next morning."""
    now = datetime(2026, 11, 22, 20, 0, tzinfo=UTC)
    assert next_open(tenant=TEHRAN, campaign=campaign(None, None), now=now) == datetime(
        2026, 11, 23, 4, 30, tzinfo=UTC
    )
