"""deleteCampaign: a draft goes."""

from __future__ import annotations

import strawberry

from domain.campaigns import service
from graph.campaigns.types import WRITE, DeleteCampaignPayload, campaign_errors
from graph.core.context import Info
from graph.core.ids import optional_uuid, to_uuid


@strawberry.type
class DeleteCampaignMutation:
    @strawberry.mutation(
        description="Delete a draft. INVALID_STATE for a campaign scheduled or launched: cancel it instead.",
        permission_classes=WRITE,
        extensions=campaign_errors(DeleteCampaignPayload),
    )
    async def delete_campaign(
        self, info: Info, id: strawberry.ID, tenant_id: strawberry.ID | None = None
    ) -> DeleteCampaignPayload:
        scope = info.context.require_tenant(optional_uuid(tenant_id))
        await service.delete(tenant_id=scope, campaign_id=to_uuid(id, what="Campaign"))
        return DeleteCampaignPayload(deleted_id=id)
