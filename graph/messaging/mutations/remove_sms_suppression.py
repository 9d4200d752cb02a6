"""removeSmsSuppression: let marketing SMS reach a suppressed phone again."""

from __future__ import annotations

from datetime import UTC, datetime

import strawberry
from tortoise.transactions import in_transaction

from domain.messaging import suppressions
from domain.tenancy.service import get_tenant
from graph.core.context import Info
from graph.core.ids import optional_uuid
from graph.messaging.policy_types import (
    SETTINGS_WRITE,
    SmsSuppression,
    SmsSuppressionPayload,
    suppression_errors,
)


@strawberry.type
class RemoveSmsSuppressionMutation:
    @strawberry.mutation(
        description=(
            "Remove a phone from the store's suppression list, e.g. when the customer asks to hear from "
            "the store again. The row stays, with who removed it and when; an opt-out SMS received "
            "after brings it back. Removing twice changes nothing; a phone never suppressed is NOT_FOUND. "
            "Owners only: it overrides a customer's own opt-out."
        ),
        permission_classes=SETTINGS_WRITE,
        extensions=suppression_errors(),
    )
    async def remove_sms_suppression(
        self, info: Info, phone: str, tenant_id: strawberry.ID | None = None
    ) -> SmsSuppressionPayload:
        scope = info.context.require_tenant(optional_uuid(tenant_id))
        tenant = await get_tenant(tenant_id=scope, field="tenantId")
        principal = info.context.principal
        async with in_transaction():
            row = await suppressions.lift(
                tenant_id=scope,
                phone=suppressions.phone_of(phone, country=tenant.country),
                user_id=principal.id if principal.kind == "user" else None,
                at=datetime.now(UTC),
            )
        return SmsSuppressionPayload(suppression=SmsSuppression.from_model(row))
