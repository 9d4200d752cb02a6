"""generateCoupons: many codes at once, shared or one per customer."""

from __future__ import annotations

from datetime import UTC, datetime

import strawberry
from tortoise.transactions import in_transaction

from domain.coupons import issuing
from domain.errors import DomainError
from graph.core.context import Info
from graph.core.ids import optional_uuid, to_uuid
from graph.coupons.mutations.inputs import origin_key
from graph.coupons.types import WRITE, GenerateCouponsPayload, coupon_errors


@strawberry.type
class GenerateCouponsMutation:
    @strawberry.mutation(
        description=(
            "Generate codes from a template: count shared codes, or one code for each of customerIds "
            "(exactly one of the two, 1 to 100,000). Repeating the call with the same idempotencyKey makes "
            "only the codes still missing (idempotencyKey: 1 to 150 characters). Find them with "
            "coupons(templateId: …)."
        ),
        permission_classes=WRITE,
        extensions=coupon_errors(GenerateCouponsPayload),
    )
    async def generate_coupons(
        self,
        info: Info,
        template_id: strawberry.ID,
        idempotency_key: str,
        count: int | None = None,
        customer_ids: list[strawberry.ID] | None = None,
        tenant_id: strawberry.ID | None = None,
    ) -> GenerateCouponsPayload:
        scope = info.context.require_tenant(optional_uuid(tenant_id))
        if customer_ids is not None and len(customer_ids) > issuing.MAX_GENERATE:
            raise DomainError(
                "INVALID", f"Name 1 to {issuing.MAX_GENERATE:,} customers.", field="customerIds"
            )
        customers = (
            [to_uuid(item, what="Customer", field="customerIds") for item in customer_ids]
            if customer_ids is not None
            else None
        )
        key = origin_key(idempotency_key, source="bulk")
        async with in_transaction():
            result = await issuing.generate(
                tenant_id=scope,
                template_id=to_uuid(template_id, what="Coupon template", field="templateId"),
                origin_key=key,
                now=datetime.now(UTC),
                count=count,
                customer_ids=customers,
            )
        return GenerateCouponsPayload(created=result.created, existing=result.existing)
