"""activateAutomation: a draft or paused automation starts enrolling customers."""

from __future__ import annotations

from datetime import UTC, datetime

import strawberry
from tortoise.transactions import in_transaction

from domain.automation import service as automations
from graph.automation.types import WRITE, Automation, AutomationPayload, automation_errors
from graph.core.context import Info
from graph.core.ids import optional_uuid, to_uuid


@strawberry.type
class ActivateAutomationMutation:
    @strawberry.mutation(
        description="Start enrolling customers: a draft or paused automation becomes active.",
        permission_classes=WRITE,
        extensions=automation_errors(),
    )
    async def activate_automation(
        self, info: Info, id: strawberry.ID, tenant_id: strawberry.ID | None = None
    ) -> AutomationPayload:
        scope = info.context.require_tenant(optional_uuid(tenant_id))
        async with in_transaction():
            automation = await automations.activate(
                tenant_id=scope, automation_id=to_uuid(id, what="Automation"), now=datetime.now(UTC)
            )
        return AutomationPayload(automation=Automation.from_model(automation))
