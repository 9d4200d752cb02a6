"""Campaigns queries: the store's campaigns by status, and one campaign (its recipients are a field)."""

from __future__ import annotations

import strawberry

from domain.campaigns import service
from graph.campaigns.types import READ, Campaign, CampaignStatus
from graph.core.context import Info
from graph.core.ids import optional_uuid, to_uuid
from graph.core.pagination import Connection, paginate


@strawberry.type
class CampaignsQuery:
    @strawberry.field(
        description="The store's campaigns, newest first, optionally in one status.", permission_classes=READ
    )
    async def campaigns(
        self,
        info: Info,
        tenant_id: strawberry.ID | None = None,
        status: CampaignStatus | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Campaign]:
        scope = info.context.require_tenant(optional_uuid(tenant_id))
        return await paginate(
            service.list_campaigns(tenant_id=scope, status=status.value if status else None),
            first=first,
            after=after,
            cap=info.context.settings.page_size_cap,
            to_node=Campaign.from_model,
        )

    @strawberry.field(
        description="One campaign, with its exclusions by reason, progress and results.",
        permission_classes=READ,
    )
    async def campaign(
        self, info: Info, id: strawberry.ID, tenant_id: strawberry.ID | None = None
    ) -> Campaign:
        scope = info.context.require_tenant(optional_uuid(tenant_id))
        return Campaign.from_model(
            await service.get(tenant_id=scope, campaign_id=to_uuid(id, what="Campaign"))
        )
