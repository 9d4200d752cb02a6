"""Create, edit, activate and pause automations."""

from __future__ import annotations

from datetime import UTC, datetime

import strawberry
from strawberry.extensions import FieldExtension
from strawberry.scalars import JSON
from tortoise.transactions import in_transaction

from domain.automation import service as automations
from domain.automation.definition import AutomationDefinition
from graph.automation.types import Automation, AutomationError, AutomationErrorCode
from graph.core.context import Info
from graph.core.errors import errors_as_data
from graph.core.ids import optional_uuid, to_uuid
from graph.core.permissions import Can

WRITE = [Can("automations", "write")]
DEFINITION_HELP = (
    'The definition as JSON, e.g. {"trigger": "order.completed", "conditions": [{"type": "order_total", '
    '"op": "gte", "amount": 500000}], "steps": [{"type": "grant_cashback", "percent": "5", "cap": 200000, '
    '"available_after_days": 7}, {"type": "send_sms", "template": "{first_name}, {credit} is yours at '
    '{store}."}]}. Amounts are minor units; templates may use {first_name}, {credit}, {balance}, {store}.'
)


@strawberry.input(description="A new automation. It starts as a draft.")
class AutomationInput:
    name: str
    definition: JSON = strawberry.field(description=DEFINITION_HELP)


@strawberry.input(description="Changes to an automation; what is left out stays as it is.")
class AutomationPatch:
    name: str | None = None
    definition: JSON | None = strawberry.field(
        default=None, description="A whole new definition. Runs already enrolled keep the old one."
    )


@strawberry.type
class AutomationPayload:
    automation: Automation | None = None
    errors: list[AutomationError] = strawberry.field(default_factory=list)


def automation_errors() -> list[FieldExtension]:
    """Errors as data for these mutations; definition errors point into the definition JSON."""
    return errors_as_data(AutomationPayload, AutomationError, AutomationErrorCode, field_prefix="definition")


@strawberry.type
class AutomationMutations:
    @strawberry.mutation(
        description="Create an automation as a draft; activate it to start enrolling customers.",
        permission_classes=WRITE,
        extensions=automation_errors(),
    )
    async def create_automation(
        self, info: Info, input: AutomationInput, tenant_id: strawberry.ID | None = None
    ) -> AutomationPayload:
        scope = info.context.require_tenant(optional_uuid(tenant_id))
        definition = AutomationDefinition.model_validate(input.definition)
        async with in_transaction():
            automation = await automations.create(tenant_id=scope, name=input.name, definition=definition)
        return AutomationPayload(automation=Automation.from_model(automation))

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
