"""``campaignProgress``: a campaign's counters now, then again as they change, until it is finished.

Dispatch publishes a notice on the campaign's channel after each chunk; a notice makes the
subscription re-read :func:`domain.campaigns.progress.campaign_progress` (one indexed statement), at
most four times a second however often notices come. It also re-reads every :data:`REFRESH_SECONDS`
without one, so a notice lost on the way (pub/sub delivers at most once) or a change nobody announced (a
pause or a cancel from another API process) still shows within that time.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from uuid import UUID

from domain.campaigns.lifecycle import CANCELLED, COMPLETED
from domain.campaigns.progress import CampaignProgress, campaign_progress
from revisit.live import LiveHub, campaign_channel

FINISHED = frozenset({COMPLETED, CANCELLED})
REFRESH_SECONDS = 5.0
"""Without a notice, the counters are read again this often."""
MIN_READ_SECONDS = 0.25
"""At most four reads a second per subscription: notices that come faster are served by one read."""


@dataclass(frozen=True)
class ProgressPace:
    refresh: float = REFRESH_SECONDS
    min_read: float = MIN_READ_SECONDS


async def watch_campaign(
    hub: LiveHub, tenant_id: UUID, campaign_id: UUID, pace: ProgressPace = ProgressPace()
) -> AsyncGenerator[CampaignProgress, None]:
    """The campaign's progress at once, then each time it changed; the last is its completed or
    cancelled state. ``NOT_FOUND`` for an unknown id or another store's campaign."""
    async with hub.listen(campaign_channel(tenant_id, campaign_id)) as listener:
        # Read after subscribing: a change between the read and the subscription cannot be missed.
        progress = await campaign_progress(tenant_id=tenant_id, campaign_id=campaign_id)
        yield progress
        while progress.status not in FINISHED:
            await listener.wait(within=pace.refresh)
            latest = await campaign_progress(tenant_id=tenant_id, campaign_id=campaign_id)
            if latest != progress:
                progress = latest
                yield progress
            await asyncio.sleep(pace.min_read)
