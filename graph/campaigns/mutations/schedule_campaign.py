"""scheduleCampaign: a draft launches at a time of the store's clock."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import strawberry

from domain.campaigns import launch
from graph.campaigns.types import WRITE, Campaign, CampaignPayload, campaign_errors
from graph.core.context import Info
from graph.core.ids import optional_uuid, to_uuid


@strawberry.type
class ScheduleCampaignMutation:
    @strawberry.mutation(
        description=(
            "Schedule a draft to launch at `at`: a date-time without offset (2026-12-02T10:00:00) is the "
            "store's local time. It must be in the future, at most a year ahead. The same schedule again "
            "changes nothing."
        ),
        permission_classes=WRITE,
        extensions=campaign_errors(CampaignPayload),
    )
    async def schedule_campaign(
        self,
        info: Info,
        id: strawberry.ID,
        at: Annotated[datetime, strawberry.argument(description="When it launches.")],
        tenant_id: strawberry.ID | None = None,
    ) -> CampaignPayload:
        scope = info.context.require_tenant(optional_uuid(tenant_id))
        campaign = await launch.schedule(
            tenant_id=scope, campaign_id=to_uuid(id, what="Campaign"), at=at, now=datetime.now(UTC)
        )
        return CampaignPayload(campaign=Campaign.from_model(campaign))
