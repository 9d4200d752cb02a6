"""sendCampaignTest: the campaign's message to the owner's phone first."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import strawberry

from domain.campaigns.sample_send import send_test
from graph.campaigns.types import WRITE, CampaignTestPayload, campaign_errors
from graph.core.context import Info
from graph.core.ids import optional_uuid, to_uuid


@strawberry.type
class SendCampaignTestMutation:
    @strawberry.mutation(
        description=(
            "Send the campaign's message, rendered for a sample customer, to `phone` or (without it) the "
            "owner's phone. Quiet hours apply; no consent or cap does. The same text to the same phone "
            "again answers with the first message. NO_PHONE when there is no phone to send to."
        ),
        permission_classes=WRITE,
        extensions=campaign_errors(CampaignTestPayload),
    )
    async def send_campaign_test(
        self,
        info: Info,
        id: strawberry.ID,
        phone: Annotated[
            str | None, strawberry.argument(description="In any form the store's country reads (0912…).")
        ] = None,
        tenant_id: strawberry.ID | None = None,
    ) -> CampaignTestPayload:
        scope = info.context.require_tenant(optional_uuid(tenant_id))
        message = await send_test(
            tenant_id=scope, campaign_id=to_uuid(id, what="Campaign"), phone=phone, now=datetime.now(UTC)
        )
        if info.context.queue is not None and message.status == "queued":
            # The worker's deliver_message job, by name: the API never imports the jobs.
            await info.context.queue.enqueue_job(
                "deliver_message", str(message.id), _job_id=f"deliver:{message.id}"
            )
        return CampaignTestPayload(
            message_id=strawberry.ID(str(message.id)),
            phone=message.phone,
            body=message.body,
            parts=message.parts,
            status=message.status,
        )
