"""issueCoupon: one code from a template, for one customer or shared."""

from __future__ import annotations

from datetime import UTC, datetime

import strawberry
from tortoise.transactions import in_transaction

from domain.coupons import issuing
from graph.core.context import Info
from graph.core.ids import optional_uuid, to_uuid
from graph.coupons.mutations.inputs import origin_key
from graph.coupons.types import WRITE, Coupon, CouponPayload, coupon_errors


@strawberry.type
class IssueCouponMutation:
    @strawberry.mutation(
        description=(
            "Issue one code from a template: to customerId (only they may use it) or, without one, shared. "
            "idempotencyKey (1 to 150 characters) makes a retry answer with the same code."
        ),
        permission_classes=WRITE,
        extensions=coupon_errors(CouponPayload),
    )
    async def issue_coupon(
        self,
        info: Info,
        template_id: strawberry.ID,
        idempotency_key: str,
        customer_id: strawberry.ID | None = None,
        tenant_id: strawberry.ID | None = None,
    ) -> CouponPayload:
        scope = info.context.require_tenant(optional_uuid(tenant_id))
        customer = to_uuid(customer_id, what="Customer", field="customerId") if customer_id else None
        async with in_transaction():
            coupon = await issuing.issue(
                tenant_id=scope,
                template_id=to_uuid(template_id, what="Coupon template", field="templateId"),
                customer_id=customer,
                origin_key=origin_key(idempotency_key, source="manual"),
                now=datetime.now(UTC),
            )
        return CouponPayload(coupon=Coupon.from_model(coupon))
