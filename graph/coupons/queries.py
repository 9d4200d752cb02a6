"""Coupons queries: a checkout asking about a code the store does not know."""

from __future__ import annotations

import strawberry

from domain.coupons import service as coupons
from graph.core.checkout import CustomerRefInput, StoreMoney
from graph.core.context import Info
from graph.core.errors import errors_as_data
from graph.core.ids import optional_uuid
from graph.core.permissions import Can
from graph.coupons.types import CouponCheck, CouponCheckPayload, CouponError, CouponErrorCode


@strawberry.type
class CouponsQuery:
    @strawberry.field(
        description=(
            "Whether a coupon code the store does not know is a Revisit code the customer may apply to "
            "this cart. Revisit issues no coupons yet, so every code is answered unknown_code. "
            "cartTotal is a decimal string in major units of the store's currency, which currency must name."
        ),
        permission_classes=[Can("coupons", "read")],
        extensions=errors_as_data(CouponCheckPayload, CouponError, CouponErrorCode),
    )
    async def validate_coupon(
        self,
        info: Info,
        code: str,
        customer: CustomerRefInput,
        cart_total: str,
        currency: str,
        tenant_id: strawberry.ID | None = None,
    ) -> CouponCheckPayload:
        scope = info.context.require_tenant(optional_uuid(tenant_id))
        money = await StoreMoney.of(scope, currency=currency)
        check = await coupons.validate(
            tenant_id=scope,
            code=code,
            customer_in=customer.to_customer_in(country=money.country),
            cart_total_minor=money.minor(cart_total, field="cartTotal", round_down=True),
        )
        return CouponCheckPayload(check=CouponCheck.from_domain(check, code=code.strip()))
