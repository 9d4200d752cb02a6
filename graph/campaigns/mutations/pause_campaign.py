"""pauseCampaign, resumeCampaign, cancelCampaign: the owner's moves, between chunks."""

from __future__ import annotations

import strawberry

from domain.campaigns import lifecycle
from graph.campaigns.notices import campaign_changed
from graph.campaigns.types import WRITE, Campaign, CampaignPayload, campaign_errors
from graph.core.context import Info
from graph.core.ids import optional_uuid, to_uuid


@strawberry.type
class PauseCampaignMutation:
    @strawberry.mutation(
        description=(
            "Pause a sending or scheduled campaign: nothing more is sent after the chunk under way. "
            "INVALID_STATE from any other state."
        ),
        permission_classes=WRITE,
        extensions=campaign_errors(CampaignPayload),
    )
    async def pause_campaign(
        self, info: Info, id: strawberry.ID, tenant_id: strawberry.ID | None = None
    ) -> CampaignPayload:
        scope = info.context.require_tenant(optional_uuid(tenant_id))
        campaign = await lifecycle.pause(tenant_id=scope, campaign_id=to_uuid(id, what="Campaign"))
        await campaign_changed(info, campaign)
        return CampaignPayload(campaign=Campaign.from_model(campaign))
