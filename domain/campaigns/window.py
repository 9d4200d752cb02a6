"""When a campaign may send: outside the store's quiet hours, and inside its own window when it has one.

A campaign's window ``[start, end)`` is in local wall time of the store, like quiet hours, and may cross
midnight. Quiet hours always apply on top of it, so a window of 20:00–23:00 in a store quiet from 22:00
sends from 20:00 to 22:00. Dispatch asks :func:`next_open` before each chunk; launch gives the messages
the moment it answers as their ``send_after``. A window that lies wholly inside the quiet hours
(they may change after it was set) cannot be kept: the quiet hours win.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Final

from domain.campaigns.models import Campaign
from domain.messaging import policy
from domain.tenancy.models import Tenant

_MAX_STEPS: Final = 3
"""Window, quiet hours, window: a window that still does not fit lies wholly inside the quiet hours."""


def in_window(campaign: Campaign, minute: int) -> bool:
    """Whether the local minute of the day ``minute`` is inside the campaign's own window (always, with
    none)."""
    start, end = campaign.window_start, campaign.window_end
    if start is None or end is None or start == end:
        return True
    if start < end:
        return start <= minute < end
    return minute >= start or minute < end


def next_open(*, tenant: Tenant, campaign: Campaign, now: datetime) -> datetime:
    """The first moment at or after ``now`` at which the campaign may send: ``now`` itself when it may."""
    tz = policy.zone(tenant)
    moment = now
    for _ in range(_MAX_STEPS):
        moment = policy.next_send_time(tenant=tenant, purpose=policy.MARKETING, now=moment)
        local = moment.astimezone(tz)
        minute = local.hour * 60 + local.minute
        if in_window(campaign, minute):
            return moment
        assert campaign.window_start is not None
        day = local.date() if minute < campaign.window_start else local.date() + timedelta(days=1)
        opening = time(campaign.window_start // 60, campaign.window_start % 60)
        moment = max(datetime.combine(day, opening, tzinfo=tz).astimezone(UTC), now)
    # A window that lies wholly inside quiet hours: the quiet hours win, the window is not kept.
    return policy.next_send_time(tenant=tenant, purpose=policy.MARKETING, now=now)
