"""updateSendingPolicy: the store's quiet hours, frequency caps and consent mode."""

from __future__ import annotations

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


def _given(value: object) -> object:
    return policy.KEEP if value is strawberry.UNSET else value


@strawberry.type
class UpdateSendingPolicyMutation:
    @strawberry.mutation(
        description=(
            "Change the store's sending policy. Consent and caps apply to messages queued from now on "
            "(those already queued keep their place); quiet hours are checked again just before every "
            "marketing message is sent."
        ),
        permission_classes=SETTINGS_WRITE,
        extensions=policy_errors(),
    )
    async def update_sending_policy(
        self, info: Info, input: SendingPolicyInput, tenant_id: strawberry.ID | None = None
    ) -> SendingPolicyPayload:
        scope = info.context.require_tenant(optional_uuid(tenant_id))
        for field, value in (
            ("quietHoursStart", input.quiet_hours_start),
            ("quietHoursEnd", input.quiet_hours_end),
        ):
            if value is None:
                raise DomainError(
                    "INVALID",
                    "A time of day cannot be null; an equal start and end mean no quiet hours.",
                    field=field,
                )
        mode = input.consent_mode
        async with in_transaction():
            tenant = await policy.update_settings(
                tenant_id=scope,
                quiet_hours_start=_given(input.quiet_hours_start),  # type: ignore[arg-type]
                quiet_hours_end=_given(input.quiet_hours_end),  # type: ignore[arg-type]
                daily_cap=_given(input.daily_cap),  # type: ignore[arg-type]
                weekly_cap=_given(input.weekly_cap),  # type: ignore[arg-type]
                consent_mode=_given(mode.value if isinstance(mode, ConsentMode) else mode),  # type: ignore[arg-type]
            )
        return SendingPolicyPayload(policy=SendingPolicy.from_tenant(tenant))
