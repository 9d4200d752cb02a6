"""Live notices from the API: a campaign's subscribers hear of a launch, pause, resume or cancel at once."""

from __future__ import annotations

from domain.campaigns.models import Campaign
from graph.core.context import Info
from revisit.live import campaign_channel, publish


async def campaign_changed(info: Info, campaign: Campaign) -> None:
    """Announce on the campaign's channel that its state changed (never fails the mutation)."""
    tenant_id = campaign.tenant_id  # type: ignore[attr-defined]
    await publish(info.context.queue, campaign_channel(tenant_id, campaign.id))
