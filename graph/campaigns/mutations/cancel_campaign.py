"""cancelCampaign: stop for good, withdrawing what is still queued."""

from __future__ import annotations

import strawberry

from domain.campaigns import lifecycle
from graph.campaigns.notices import campaign_changed
from graph.campaigns.types import WRITE, Campaign, CampaignPayload, campaign_errors
from graph.core.context import Info
from graph.core.ids import optional_uuid, to_uuid


@strawberry.type
class CancelCampaignMutation:
    @strawberry.mutation(
        description=(
            "Cancel a campaign that is not finished: its still-queued messages are withdrawn (status "
            "cancelled) and what is left of its wallet reservation is released; messages sent stay sent. "
            "Cancelling again changes nothing; INVALID_STATE for a completed campaign."
        ),
        permission_classes=WRITE,
        extensions=campaign_errors(CampaignPayload),
    )
    async def cancel_campaign(
        self, info: Info, id: strawberry.ID, tenant_id: strawberry.ID | None = None
    ) -> CampaignPayload:
        scope = info.context.require_tenant(optional_uuid(tenant_id))
        campaign = await lifecycle.cancel(tenant_id=scope, campaign_id=to_uuid(id, what="Campaign"))
        await campaign_changed(info, campaign)
        return CampaignPayload(campaign=Campaign.from_model(campaign))
