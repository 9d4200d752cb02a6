"""revokeCoupon: a code stops working."""

from __future__ import annotations

from datetime import UTC, datetime

import strawberry
from tortoise.transactions import in_transaction

from domain.coupons import issuing
from graph.core.context import Info
from graph.core.ids import optional_uuid, to_uuid
from graph.coupons.types import WRITE, Coupon, CouponPayload, coupon_errors


@strawberry.type
class RevokeCouponMutation:
    @strawberry.mutation(
        description=(
            "Withdraw a code: checkouts refuse it from now on (reason revoked). Orders that used it keep "
            "their redemption. Revoking again changes nothing."
        ),
        permission_classes=WRITE,
        extensions=coupon_errors(CouponPayload),
    )
    async def revoke_coupon(
        self, info: Info, id: strawberry.ID, tenant_id: strawberry.ID | None = None
    ) -> CouponPayload:
        scope = info.context.require_tenant(optional_uuid(tenant_id))
        now = datetime.now(UTC)
        async with in_transaction():
            coupon = await issuing.revoke(tenant_id=scope, coupon_id=to_uuid(id, what="Coupon"), now=now)
        return CouponPayload(coupon=Coupon.from_model(coupon, now=now))
