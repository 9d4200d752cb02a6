"""resumeCampaign: a paused campaign goes on from where it stopped."""

from __future__ import annotations

import strawberry

from domain.campaigns import lifecycle
from graph.campaigns.notices import campaign_changed
from graph.campaigns.types import WRITE, Campaign, CampaignPayload, campaign_errors
from graph.core.context import Info
from graph.core.ids import optional_uuid, to_uuid


@strawberry.type
class ResumeCampaignMutation:
    @strawberry.mutation(
        description=(
            "Resume a paused campaign: it sends again from where it stopped (one paused before its launch "
            "is scheduled again). INVALID_STATE unless it is paused."
        ),
        permission_classes=WRITE,
        extensions=campaign_errors(CampaignPayload),
    )
    async def resume_campaign(
        self, info: Info, id: strawberry.ID, tenant_id: strawberry.ID | None = None
    ) -> CampaignPayload:
        scope = info.context.require_tenant(optional_uuid(tenant_id))
        campaign = await lifecycle.resume(tenant_id=scope, campaign_id=to_uuid(id, what="Campaign"))
        await info.context.wakeups.campaign_ready(scope)
        await campaign_changed(info, campaign)
        return CampaignPayload(campaign=Campaign.from_model(campaign))
