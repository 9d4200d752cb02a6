"""updateAutomation: rename a journey or save a new version of its definition."""

from __future__ import annotations

import strawberry
from strawberry.scalars import JSON
from tortoise.transactions import in_transaction

from domain.automation import service as automations
from graph.automation.mutations.create_automation import DEFINITION_HELP
from graph.automation.types import WRITE, Automation, AutomationPayload, automation_errors
from graph.core.context import Info
from graph.core.ids import optional_uuid, to_uuid


@strawberry.input(description="Changes to a journey; what is left out stays as it is.")
class AutomationPatch:
    name: str | None = None
    definition: JSON | None = strawberry.field(
        default=None,
        description="A whole new definition: the next version. Runs in flight keep theirs unless "
        "migrateJourneyRuns moves them. " + DEFINITION_HELP,
    )


@strawberry.type
class UpdateAutomationMutation:
    @strawberry.mutation(
        description="Rename a journey or save a new definition (the next version; the same definition "
        "again changes nothing).",
        permission_classes=WRITE,
        extensions=automation_errors(),
    )
    async def update_automation(
        self, info: Info, id: strawberry.ID, input: AutomationPatch, tenant_id: strawberry.ID | None = None
    ) -> AutomationPayload:
        scope = info.context.require_tenant(optional_uuid(tenant_id))
        automation_id = to_uuid(id, what="Automation")
        async with in_transaction():
            await automations.get(tenant_id=scope, automation_id=automation_id)  # NOT_FOUND before the rest
            definition = (
                await automations.validated(tenant_id=scope, raw=input.definition)
                if input.definition is not None
                else None
            )
            automation = await automations.update(
                tenant_id=scope, automation_id=automation_id, name=input.name, definition=definition
            )
        return AutomationPayload(automation=Automation.from_model(automation))
