"""updateSendingPolicy: the store's quiet hours, frequency caps and consent mode."""

from __future__ import annotations

from typing import Any

import strawberry
from tortoise.transactions import in_transaction

from domain.errors import DomainError
from domain.messaging import policy
from graph.core.context import Info
from graph.core.ids import optional_uuid
from graph.messaging.policy_types import (
    SETTINGS_WRITE,
    ConsentMode,
    SendingPolicy,
    SendingPolicyPayload,
    policy_errors,
)


@strawberry.input(description="What to change; what is left out stays.")
class SendingPolicyInput:
    quiet_hours_start: str | None = strawberry.field(
        default=strawberry.UNSET, description="HH:MM (00:00–23:59) on the store's clock."
    )
    quiet_hours_end: str | None = strawberry.field(
        default=strawberry.UNSET, description="HH:MM; equal to the start: no quiet hours."
    )
    daily_cap: int | None = strawberry.field(
        default=strawberry.UNSET, description="0 to 50 marketing SMS per customer a local day; null: no cap."
    )
    weekly_cap: int | None = strawberry.field(
        default=strawberry.UNSET, description="0 to 50 on any 7 local days; null: no cap."
    )
    consent_mode: ConsentMode | None = strawberry.field(
        default=strawberry.UNSET, description="OPT_IN or OPT_OUT; null: follow the store's country."
    )


_SETTINGS = ("quiet_hours_start", "quiet_hours_end", "daily_cap", "weekly_cap", "consent_mode")


def _changes(input: SendingPolicyInput) -> dict[str, Any]:
    """The settings the input names (UNSET: left out), as :func:`policy.update_settings` takes them."""
    changes: dict[str, Any] = {}
    for name in _SETTINGS:
        value = getattr(input, name)
        if value is strawberry.UNSET:
            continue
        if name.startswith("quiet_hours") and value is None:
            raise DomainError(
                "INVALID",
                "A time of day cannot be null; an equal start and end mean no quiet hours.",
                field="quietHoursStart" if name.endswith("start") else "quietHoursEnd",
            )
        changes[name] = value.value if isinstance(value, ConsentMode) else value
    return changes


@strawberry.type
class UpdateSendingPolicyMutation:
    @strawberry.mutation(
        description=(
            "Change the store's sending policy. Caps count from the next message queued; quiet hours "
            "are checked again just before every marketing message is sent; switching to OPT_IN also "
            "suppresses the marketing still queued for customers who never said."
        ),
        permission_classes=SETTINGS_WRITE,
        extensions=policy_errors(),
    )
    async def update_sending_policy(
        self, info: Info, input: SendingPolicyInput, tenant_id: strawberry.ID | None = None
    ) -> SendingPolicyPayload:
        scope = info.context.require_tenant(optional_uuid(tenant_id))
        changes = _changes(input)
        async with in_transaction():
            tenant = await policy.update_settings(tenant_id=scope, **changes)
        return SendingPolicyPayload(policy=SendingPolicy.from_tenant(tenant))
