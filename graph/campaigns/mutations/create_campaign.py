"""createCampaign: a draft campaign, once per client key."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import strawberry

from domain.campaigns import service
from graph.campaigns.mutations.inputs import CampaignInput, draft
from graph.campaigns.types import WRITE, Campaign, CampaignPayload, campaign_errors
from graph.core.context import Info
from graph.core.ids import optional_uuid


@strawberry.type
class CreateCampaignMutation:
    @strawberry.mutation(
        description=(
            "Create a draft campaign, checked whole: its template against the variables it can fill, its "
            "segments and coupon template (the store's own), its incentive, window, control group and "
            "attribution window. With clientKey a repeat answers with the campaign the first call made."
        ),
        permission_classes=WRITE,
        extensions=campaign_errors(CampaignPayload),
    )
    async def create_campaign(
        self,
        info: Info,
        input: CampaignInput,
        client_key: Annotated[
            str | None, strawberry.argument(description="1 to 100 characters: the same key creates once.")
        ] = None,
        tenant_id: strawberry.ID | None = None,
    ) -> CampaignPayload:
        scope = info.context.require_tenant(optional_uuid(tenant_id))
        campaign = await service.create(
            tenant_id=scope,
            draft=draft(input),
            client_key=client_key,
            created_by_user_id=info.context.principal.id if info.context.principal.kind == "user" else None,
            now=datetime.now(UTC),
        )
        return CampaignPayload(campaign=Campaign.from_model(campaign))
