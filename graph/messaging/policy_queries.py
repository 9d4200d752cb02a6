"""Sending-policy queries: the store's policy, its suppression list, a template previewed with its cost."""

from __future__ import annotations

from datetime import UTC, datetime

import strawberry

from domain.messaging import pricing, suppressions, templates
from domain.tenancy.service import get_tenant
from graph.core.context import Info
from graph.core.ids import optional_uuid
from graph.core.pagination import Connection, paginate
from graph.core.scalars import Money
from graph.messaging.policy_types import (
    MESSAGES_READ,
    SETTINGS_READ,
    MessagePreview,
    MessagePreviewPayload,
    MessagePurpose,
    SendingPolicy,
    SmsSuppression,
    preview_errors,
)


@strawberry.input(description="A value to preview a template with, instead of the store's sample.")
class TemplateValueInput:
    name: str = strawberry.field(description="One of the template variables, e.g. first_name.")
    value: str = strawberry.field(description="At most 500 characters.")


@strawberry.type
class SendingPolicyQuery:
    @strawberry.field(
        description="The store's quiet hours, frequency caps and consent mode.",
        permission_classes=SETTINGS_READ,
    )
    async def sending_policy(self, info: Info, tenant_id: strawberry.ID | None = None) -> SendingPolicy:
        scope = info.context.require_tenant(optional_uuid(tenant_id))
        return SendingPolicy.from_tenant(await get_tenant(tenant_id=scope, field="tenantId"))

    @strawberry.field(
        description=(
            "The store's suppressed phones, newest first: opt-outs by SMS and phones added by hand. "
            "phone narrows to one number (written as the store's customers write it); includeLifted "
            "adds the removed ones."
        ),
        permission_classes=MESSAGES_READ,
    )
    async def sms_suppressions(
        self,
        info: Info,
        tenant_id: strawberry.ID | None = None,
        phone: str | None = None,
        include_lifted: bool = False,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[SmsSuppression]:
        scope = info.context.require_tenant(optional_uuid(tenant_id))
        wanted = None
        if phone is not None:
            wanted = suppressions.phone_of(
                phone, country=(await get_tenant(tenant_id=scope, field="tenantId")).country
            )
        return await paginate(
            suppressions.list_suppressions(tenant_id=scope, phone=wanted, include_lifted=include_lifted),
            first=first,
            after=after,
            cap=info.context.settings.page_size_cap,
            to_node=SmsSuppression.from_model,
            time_field="suppressed_at",
        )

    @strawberry.field(
        description=(
            "A template (at most 1,000 characters) rendered as a customer would read it — with the "
            "store's sample values unless sampleValues says otherwise, dates in its calendar, money in "
            "its currency, and the opt-out footer on marketing — with its encoding, parts and cost. "
            "Variables: first_name, store, credit, balance, coupon_code, coupon_value, coupon_expiry, "
            "days_since_last_order, link. Unknown ones are UNKNOWN_VARIABLE."
        ),
        permission_classes=MESSAGES_READ,
        extensions=preview_errors(),
    )
    async def preview_message(
        self,
        info: Info,
        template: str,
        purpose: MessagePurpose = MessagePurpose.MARKETING,
        sample_values: list[TemplateValueInput] | None = None,
        tenant_id: strawberry.ID | None = None,
    ) -> MessagePreviewPayload:
        scope = info.context.require_tenant(optional_uuid(tenant_id))
        given = {item.name: item.value for item in sample_values or []}
        result = templates.preview(
            template,
            purpose=purpose.value,
            tenant=await get_tenant(tenant_id=scope, field="tenantId"),
            now=datetime.now(UTC),
            values=given,
            price=await pricing.tenant_part_price(scope),
        )
        return MessagePreviewPayload(
            preview=MessagePreview(
                text=result.text,
                encoding=result.encoding,
                characters=result.characters,
                parts=result.parts,
                cost=Money(result.cost),
                variables=result.variables,
            )
        )
