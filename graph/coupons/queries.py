"""Coupons queries: templates, codes (search by prefix, state, customer, template), a checkout's check."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import strawberry
from tortoise.expressions import Q

from domain.coupons import issuing, validation
from domain.coupons import service as templates
from domain.coupons.codes import normalise
from domain.coupons.models import Coupon as CouponModel
from domain.errors import DomainError, NotFound
from domain.text import identifier_problem
from graph.core.checkout import CustomerRefInput, StoreMoney
from graph.core.context import Info
from graph.core.ids import optional_uuid, to_uuid
from graph.core.pagination import Connection, paginate
from graph.coupons.types import (
    READ,
    Coupon,
    CouponCheck,
    CouponCheckPayload,
    CouponKind,
    CouponState,
    CouponTemplate,
    coupon_errors,
)

MAX_CART_LINES = validation.MAX_LINES


@strawberry.input(description="One line of the cart, for coupons limited to some products or categories.")
class CartLineInput:
    product_id: str = strawberry.field(description="The store's product id, 1 to 64 characters.")
    total: str = strawberry.field(description="The line's total, a decimal in major units.")
    category_ids: list[str] = strawberry.field(
        default_factory=list, description="The product's category ids (at most 50)."
    )


def _state_filter(state: CouponState, now: datetime) -> Q:
    if state is CouponState.REVOKED:
        return Q(revoked_at__isnull=False)
    live = Q(revoked_at__isnull=True)
    if state is CouponState.REDEEMED:
        return live & Q(redemptions_count__gt=0)
    unused = live & Q(redemptions_count=0)
    if state is CouponState.EXPIRED:
        return unused & Q(expires_at__lte=now)
    return unused & (Q(expires_at__isnull=True) | Q(expires_at__gt=now))


@strawberry.type
class CouponsQuery:
    @strawberry.field(
        description=(
            "Whether a coupon code the store does not know is a Revisit code the customer may apply to this "
            "cart, and what it takes off. cartTotal, shippingTotal and line totals are decimal strings in "
            "major units of the store's currency, which currency must name. Give the cart's lines (at most "
            "500) for codes limited to some products or categories. Reads only: the use counts when the "
            "order arrives."
        ),
        permission_classes=READ,
        extensions=coupon_errors(CouponCheckPayload),
    )
    async def validate_coupon(
        self,
        info: Info,
        code: str,
        customer: CustomerRefInput,
        cart_total: str,
        currency: str,
        lines: list[CartLineInput] | None = None,
        shipping_total: str | None = None,
        tenant_id: strawberry.ID | None = None,
    ) -> CouponCheckPayload:
        scope = info.context.require_tenant(optional_uuid(tenant_id))
        money = await StoreMoney.of(scope, currency=currency)
        cart = _cart(money, cart_total, lines or [], shipping_total)
        check = await validation.validate(
            tenant_id=scope,
            code=code,
            customer_in=customer.to_customer_in(country=money.country),
            cart=cart,
            now=datetime.now(UTC),
        )
        return CouponCheckPayload(check=_check(check, code=code.strip(), money=money))

    @strawberry.field(description="The store's coupon templates, newest first.", permission_classes=READ)
    async def coupon_templates(
        self,
        info: Info,
        tenant_id: strawberry.ID | None = None,
        archived: Annotated[
            bool | None, strawberry.argument(description="true: only archived; false: only live; null: all.")
        ] = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[CouponTemplate]:
        scope = info.context.require_tenant(optional_uuid(tenant_id))
        return await paginate(
            templates.listing(tenant_id=scope, archived=archived),
            first=first,
            after=after,
            cap=info.context.settings.page_size_cap,
            to_node=CouponTemplate.from_model,
        )

    @strawberry.field(description="One coupon template.", permission_classes=READ)
    async def coupon_template(
        self, info: Info, id: strawberry.ID, tenant_id: strawberry.ID | None = None
    ) -> CouponTemplate:
        scope = info.context.require_tenant(optional_uuid(tenant_id))
        template = await templates.get(tenant_id=scope, template_id=to_uuid(id, what="Coupon template"))
        return CouponTemplate.from_model(template)

    @strawberry.field(
        description=(
            "The store's codes, newest first: of one template, starting with codePrefix (any case), in one "
            "state, issued to one customer; the filters combine."
        ),
        permission_classes=READ,
    )
    async def coupons(
        self,
        info: Info,
        tenant_id: strawberry.ID | None = None,
        template_id: strawberry.ID | None = None,
        code_prefix: str | None = None,
        state: CouponState | None = None,
        customer_id: strawberry.ID | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Coupon]:
        scope = info.context.require_tenant(optional_uuid(tenant_id))
        now = datetime.now(UTC)
        queryset = CouponModel.filter(tenant_id=scope)
        if template_id is not None:
            queryset = queryset.filter(
                template_id=to_uuid(template_id, what="Coupon template", field="templateId")
            )
        if code_prefix is not None and code_prefix.strip():
            queryset = queryset.filter(code__startswith=normalise(code_prefix, field="codePrefix"))
        if state is not None:
            queryset = queryset.filter(_state_filter(state, now))
        if customer_id is not None:
            queryset = queryset.filter(customer_id=to_uuid(customer_id, what="Customer", field="customerId"))
        return await paginate(
            queryset,
            first=first,
            after=after,
            cap=info.context.settings.page_size_cap,
            to_node=lambda row: Coupon.from_model(row, now=now),
            time_field="issued_at",
        )

    @strawberry.field(
        description="One code, by id or by the code itself (any case).", permission_classes=READ
    )
    async def coupon(
        self,
        info: Info,
        id: strawberry.ID | None = None,
        code: str | None = None,
        tenant_id: strawberry.ID | None = None,
    ) -> Coupon:
        scope = info.context.require_tenant(optional_uuid(tenant_id))
        if id is not None:
            return Coupon.from_model(await issuing.get(tenant_id=scope, coupon_id=to_uuid(id, what="Coupon")))
        found = await CouponModel.get_or_none(tenant_id=scope, code=normalise(code or "", field="code"))
        if found is None:
            raise NotFound("Coupon", field="code")
        return Coupon.from_model(found)


def _cart(
    money: StoreMoney, cart_total: str, lines: list[CartLineInput], shipping: str | None
) -> validation.Cart:
    if len(lines) > MAX_CART_LINES:
        raise DomainError("INVALID", f"A cart has at most {MAX_CART_LINES} lines.", field="lines")
    return validation.Cart(
        total=money.minor(cart_total, field="cartTotal", round_down=True),
        shipping_total=money.minor(shipping, field="shippingTotal", round_down=True) if shipping else 0,
        lines=tuple(_line(money, index, line) for index, line in enumerate(lines)),
    )


def _line(money: StoreMoney, index: int, line: CartLineInput) -> validation.CartLine:
    where = f"lines.{index}"
    product = line.product_id.strip()
    if not product or len(product) > 64 or identifier_problem(product):
        raise DomainError("INVALID", "A product id is 1 to 64 plain characters.", field=f"{where}.productId")
    categories = [category.strip() for category in line.category_ids]
    if len(categories) > 50 or any(
        not category or len(category) > 64 or identifier_problem(category) for category in categories
    ):
        raise DomainError(
            "INVALID", "At most 50 category ids of 1 to 64 plain characters.", field=f"{where}.categoryIds"
        )
    return validation.CartLine(
        product_id=product,
        total=money.minor(line.total, field=f"{where}.total", round_down=True),
        category_ids=tuple(categories),
    )


def _check(check: validation.CouponCheck, *, code: str, money: StoreMoney) -> CouponCheck:
    if not check.valid:
        return CouponCheck(
            valid=False,
            code=code,
            reason=check.reason,
            message=check.message,
            kind=None,
            value=None,
            discount=None,
            free_shipping=None,
        )
    value = str(check.value) if check.kind == "percent" else money.major(check.value or 0)
    return CouponCheck(
        valid=True,
        code=code,
        reason=None,
        message=check.message,
        kind=CouponKind(check.kind),
        value=value,
        discount=money.major(check.discount),
        free_shipping=check.free_shipping,
        expires_at=check.expires_at,
    )
