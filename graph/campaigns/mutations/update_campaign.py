"""updateCampaign: change a draft."""

from __future__ import annotations

from datetime import UTC, datetime

import strawberry

from domain.campaigns import service
from graph.campaigns.mutations.inputs import CampaignChangesInput, changes
from graph.campaigns.types import WRITE, Campaign, CampaignPayload, campaign_errors
from graph.core.context import Info
from graph.core.ids import optional_uuid, to_uuid


@strawberry.type
class UpdateCampaignMutation:
    @strawberry.mutation(
        description="Change a draft, checked whole again. INVALID_STATE once it is scheduled or launched.",
        permission_classes=WRITE,
        extensions=campaign_errors(CampaignPayload),
    )
    async def update_campaign(
        self,
        info: Info,
        id: strawberry.ID,
        input: CampaignChangesInput,
        tenant_id: strawberry.ID | None = None,
    ) -> CampaignPayload:
        scope = info.context.require_tenant(optional_uuid(tenant_id))
        campaign = await service.update(
            tenant_id=scope,
            campaign_id=to_uuid(id, what="Campaign"),
            changes=changes(input),
            now=datetime.now(UTC),
        )
        return CampaignPayload(campaign=Campaign.from_model(campaign))
