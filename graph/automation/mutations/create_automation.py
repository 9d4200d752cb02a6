"""createAutomation: a new journey, as a draft."""

from __future__ import annotations

import strawberry
from strawberry.scalars import JSON
from tortoise.transactions import in_transaction

from domain.automation import service as automations
from graph.automation.types import WRITE, Automation, AutomationPayload, automation_errors
from graph.core.context import Info
from graph.core.ids import optional_uuid

DEFINITION_HELP = (
    "The journey as JSON (schema_version 2; docs/journeys.md lists every trigger, condition, rule and step), "
    'e.g. {"trigger": {"type": "days_since_last_order", "min_days": 60, "max_days": 90}, "entry": '
    '{"mode": "once_per_order"}, "steps": [{"type": "exit_if", "if": {"type": "ordered_since_enrolment"}}, '
    '{"type": "issue_coupon", "template_id": "…"}, {"type": "send_sms", "purpose": "marketing", '
    '"template": "{first_name}, {coupon_value} off with {coupon_code} until {coupon_expiry}"}, '
    '{"type": "wait", "duration": {"days": 3}}, {"type": "send_sms", "purpose": "marketing", '
    '"template": "Last days for {coupon_code}"}]}. Amounts are minor units. Version-1 definitions '
    '({"trigger": "order.completed", …}) are still accepted. Each problem comes back as an error whose '
    "field is its path, e.g. definition.steps.2.template."
)


@strawberry.input(description="A new journey. It starts as a draft.")
class AutomationInput:
    name: str
    definition: JSON = strawberry.field(description=DEFINITION_HELP)


@strawberry.type
class CreateAutomationMutation:
    @strawberry.mutation(
        description="Create a journey as a draft; activate it to start enrolling customers.",
        permission_classes=WRITE,
        extensions=automation_errors(),
    )
    async def create_automation(
        self, info: Info, input: AutomationInput, tenant_id: strawberry.ID | None = None
    ) -> AutomationPayload:
        scope = info.context.require_tenant(optional_uuid(tenant_id))
        async with in_transaction():
            definition = await automations.validated(tenant_id=scope, raw=input.definition)
            automation = await automations.create(tenant_id=scope, name=input.name, definition=definition)
        return AutomationPayload(automation=Automation.from_model(automation))
