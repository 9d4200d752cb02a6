"""pauseAutomation: stop enrolling customers."""

from __future__ import annotations

from datetime import UTC, datetime

import strawberry
from tortoise.transactions import in_transaction

from domain.automation import service as automations
from graph.automation.types import WRITE, Automation, AutomationPayload, automation_errors
from graph.core.context import Info
from graph.core.ids import optional_uuid, to_uuid


@strawberry.type
class PauseAutomationMutation:
    @strawberry.mutation(
        description="Stop enrolling customers; runs already enrolled carry on.",
        permission_classes=WRITE,
        extensions=automation_errors(),
    )
    async def pause_automation(
        self, info: Info, id: strawberry.ID, tenant_id: strawberry.ID | None = None
    ) -> AutomationPayload:
        scope = info.context.require_tenant(optional_uuid(tenant_id))
        async with in_transaction():
            automation = await automations.pause(
                tenant_id=scope, automation_id=to_uuid(id, what="Automation"), now=datetime.now(UTC)
            )
        return AutomationPayload(automation=Automation.from_model(automation))
