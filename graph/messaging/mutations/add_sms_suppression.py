"""addSmsSuppression: stop marketing SMS to one phone, by hand."""

from __future__ import annotations

from datetime import UTC, datetime

import strawberry
from tortoise.transactions import in_transaction

from domain.messaging import suppressions
from domain.tenancy.service import get_tenant
from graph.core.context import Info
from graph.core.ids import optional_uuid
from graph.messaging.policy_types import (
    MESSAGES_WRITE,
    SmsSuppression,
    SmsSuppressionPayload,
    suppression_errors,
)


@strawberry.type
class AddSmsSuppressionMutation:
    @strawberry.mutation(
        description=(
            "Add a phone to the store's suppression list (written as its customers write it: 0912…, "
            "+98912…, Persian digits). It gets no marketing SMS; receipts still go. Adding a phone "
            "already on the list changes nothing."
        ),
        permission_classes=MESSAGES_WRITE,
        extensions=suppression_errors(),
    )
    async def add_sms_suppression(
        self, info: Info, phone: str, tenant_id: strawberry.ID | None = None
    ) -> SmsSuppressionPayload:
        scope = info.context.require_tenant(optional_uuid(tenant_id))
        tenant = await get_tenant(tenant_id=scope, field="tenantId")
        principal = info.context.principal
        async with in_transaction():
            row = await suppressions.suppress(
                tenant_id=scope,
                phone=suppressions.phone_of(phone, country=tenant.country),
                source=suppressions.OWNER,
                keyword=None,
                at=datetime.now(UTC),
                user_id=principal.id if principal.kind == "user" else None,
            )
        return SmsSuppressionPayload(suppression=SmsSuppression.from_model(row))
