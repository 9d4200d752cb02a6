"""launchCampaign: snapshot the audience, queue the messages and reserve their cost, now."""

from __future__ import annotations

from datetime import UTC, datetime

import strawberry

from domain.campaigns import launch
from graph.campaigns.notices import campaign_changed
from graph.campaigns.types import WRITE, Campaign, CampaignPayload, campaign_errors
from graph.core.context import Info
from graph.core.ids import optional_uuid, to_uuid


@strawberry.type
class LaunchCampaignMutation:
    @strawberry.mutation(
        description=(
            "Launch a draft or scheduled campaign now: the audience is snapshotted (exclusions counted by "
            "reason), each treated recipient's incentive issued and message queued, and the cost — every "
            "message's real parts × the part price — reserved in the wallet. INSUFFICIENT_FUNDS when the "
            "wallet cannot pay (nothing changes). Launching again, or at once twice, launches once."
        ),
        permission_classes=WRITE,
        extensions=campaign_errors(CampaignPayload),
    )
    async def launch_campaign(
        self, info: Info, id: strawberry.ID, tenant_id: strawberry.ID | None = None
    ) -> CampaignPayload:
        scope = info.context.require_tenant(optional_uuid(tenant_id))
        campaign = await launch.launch(
            tenant_id=scope, campaign_id=to_uuid(id, what="Campaign"), now=datetime.now(UTC)
        )
        await info.context.wakeups.campaign_ready(scope)
        await campaign_changed(info, campaign)
        return CampaignPayload(campaign=Campaign.from_model(campaign))
