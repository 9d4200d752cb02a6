"""createAutomation: a new automation, as a draft."""

from __future__ import annotations

import strawberry
from strawberry.scalars import JSON
from tortoise.transactions import in_transaction

from domain.automation import service as automations
from domain.automation.definition import AutomationDefinition
from graph.automation.types import WRITE, Automation, AutomationPayload, automation_errors
from graph.core.context import Info
from graph.core.ids import optional_uuid

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


@strawberry.type
class CreateAutomationMutation:
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
