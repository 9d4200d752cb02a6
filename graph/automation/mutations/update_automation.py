"""updateAutomation: rename an automation or replace its definition."""

from __future__ import annotations

import strawberry
from strawberry.scalars import JSON
from tortoise.transactions import in_transaction

from domain.automation import service as automations
from domain.automation.definition import AutomationDefinition
from graph.automation.types import WRITE, Automation, AutomationPayload, automation_errors
from graph.core.context import Info
from graph.core.ids import optional_uuid, to_uuid


@strawberry.input(description="Changes to an automation; what is left out stays as it is.")
class AutomationPatch:
    name: str | None = None
    definition: JSON | None = strawberry.field(
        default=None, description="A whole new definition. Runs already enrolled keep the old one."
    )


@strawberry.type
class UpdateAutomationMutation:
    @strawberry.mutation(
        description="Rename an automation or replace its definition (which bumps its version).",
        permission_classes=WRITE,
        extensions=automation_errors(),
    )
    async def update_automation(
        self, info: Info, id: strawberry.ID, input: AutomationPatch, tenant_id: strawberry.ID | None = None
    ) -> AutomationPayload:
        scope = info.context.require_tenant(optional_uuid(tenant_id))
        definition = (
            AutomationDefinition.model_validate(input.definition) if input.definition is not None else None
        )
        async with in_transaction():
            automation = await automations.update(
                tenant_id=scope,
                automation_id=to_uuid(id, what="Automation"),
                name=input.name,
                definition=definition,
            )
        return AutomationPayload(automation=Automation.from_model(automation))
