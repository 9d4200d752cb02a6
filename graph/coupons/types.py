"""GraphQL types of the coupons context: templates, codes, usage reports, a checkout's check, errors."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import Enum
from uuid import UUID

import strawberry
from strawberry.extensions import FieldExtension

from domain.coupons import models, validation
from domain.coupons import report as reports
from domain.errors import NotFound
from graph.core.context import Info
from graph.core.errors import errors_as_data
from graph.core.permissions import Can
from graph.core.scalars import Money
from graph.customers.types import Customer

READ = [Can("coupons", "read")]
WRITE = [Can("coupons", "write")]


@strawberry.enum(
    description=(
        "PERCENT takes value % off the eligible lines; FIXED takes value (minor units) off them; "
        "FREE_SHIPPING makes the order's shipping free."
    )
)
class CouponKind(Enum):
    PERCENT = "percent"
    FIXED = "fixed"
    FREE_SHIPPING = "free_shipping"


@strawberry.enum(
    description=(
        "REVOKED: withdrawn by the owner; REDEEMED: used on at least one order; EXPIRED: past its expiry "
        "unused; ACTIVE: unused and still valid."
    )
)
class CouponState(Enum):
    ACTIVE = "active"
    REDEEMED = "redeemed"
    EXPIRED = "expired"
    REVOKED = "revoked"


@strawberry.type(description="What a coupon gives and on what terms; codes are issued from it.")
class CouponTemplate:
    id: strawberry.ID
    name: str
    description: str = strawberry.field(description="Shown to the customer when the code is applied.")
    kind: CouponKind
    value: Money = strawberry.field(description="Percent (1–100), or minor units for FIXED; 0 for shipping.")
    minimum_cart: Money = strawberry.field(description="The cart total a code needs; 0 for none.")
    maximum_discount: Money | None = strawberry.field(description="The most one order gets off.")
    product_ids: list[str] = strawberry.field(description="Only these products count; empty for all.")
    excluded_product_ids: list[str]
    category_ids: list[str] = strawberry.field(description="Only these categories count; empty for all.")
    excluded_category_ids: list[str]
    first_order_only: bool
    usage_limit: int | None = strawberry.field(description="Orders one code may be used on in all.")
    usage_limit_per_customer: int | None = strawberry.field(description="Orders per customer per code.")
    starts_at: datetime | None
    expires_at: datetime | None = strawberry.field(description="Codes stop working at this moment.")
    valid_days: int | None = strawberry.field(description="Codes stop working this many days after issue.")
    code_prefix: str = strawberry.field(description="Generated codes start with it.")
    archived_at: datetime | None = strawberry.field(
        description="Set once archived: no more codes are issued."
    )
    created_at: datetime
    updated_at: datetime
    tenant_id: strawberry.Private[UUID]

    @strawberry.field(description="How its codes did: issued, redeemed, discount given, revenue.")
    async def usage(self) -> CouponUsage:
        return CouponUsage.from_domain(
            await reports.usage(tenant_id=self.tenant_id, template_id=UUID(self.id))
        )

    @classmethod
    def from_model(cls, template: models.CouponTemplate) -> CouponTemplate:
        return cls(
            id=strawberry.ID(str(template.id)),
            name=template.name,
            description=template.description,
            kind=CouponKind(template.kind),
            value=Money(template.value),
            minimum_cart=Money(template.minimum_cart),
            maximum_discount=Money(template.maximum_discount)
            if template.maximum_discount is not None
            else None,
            product_ids=list(template.product_ids),
            excluded_product_ids=list(template.excluded_product_ids),
            category_ids=list(template.category_ids),
            excluded_category_ids=list(template.excluded_category_ids),
            first_order_only=template.first_order_only,
            usage_limit=template.usage_limit,
            usage_limit_per_customer=template.usage_limit_per_customer,
            starts_at=template.starts_at,
            expires_at=template.expires_at,
            valid_days=template.valid_days,
            code_prefix=template.code_prefix,
            archived_at=template.archived_at,
            created_at=template.created_at,
            updated_at=template.updated_at,
            tenant_id=template.tenant_id,  # type: ignore[attr-defined]
        )


@strawberry.type(description="A template's usage; amounts in minor units of the store's currency.")
class CouponUsage:
    issued: int
    revoked: int
    redeemed_codes: int = strawberry.field(description="Codes used on at least one order.")
    redemptions: int = strawberry.field(description="Orders that used a code (cancelled ones not counted).")
    customers: int = strawberry.field(description="Distinct customers among those orders.")
    discount: Money = strawberry.field(description="The discount those orders got through the codes.")
    revenue: Money = strawberry.field(description="Those orders' totals less what was refunded, each once.")

    @classmethod
    def from_domain(cls, usage: reports.Usage) -> CouponUsage:
        return cls(
            issued=usage.issued,
            revoked=usage.revoked,
            redeemed_codes=usage.redeemed_codes,
            redemptions=usage.redemptions,
            customers=usage.customers,
            discount=Money(usage.discount),
            revenue=Money(usage.revenue),
        )


def state_of(coupon: models.Coupon, now: datetime) -> CouponState:
    if coupon.revoked_at is not None:
        return CouponState.REVOKED
    if coupon.redemptions_count > 0:
        return CouponState.REDEEMED
    if coupon.expires_at is not None and coupon.expires_at <= now:
        return CouponState.EXPIRED
    return CouponState.ACTIVE


@strawberry.type(description="One coupon code, shared or issued to one customer.")
class Coupon:
    id: strawberry.ID
    code: str = strawberry.field(description="Upper case; customers may type it in any case.")
    template_id: strawberry.ID
    customer_id: strawberry.ID | None = strawberry.field(
        description="Only this customer may use it; null: shared."
    )
    issued_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    redemptions_count: int = strawberry.field(description="Orders using it now (cancelled ones given back).")
    state: CouponState
    tenant_id: strawberry.Private[UUID]

    @strawberry.field(description="The template it was issued from.")
    async def template(self, info: Info) -> CouponTemplate:
        found = await info.context.loaders.coupon_templates.load((self.tenant_id, UUID(self.template_id)))
        if found is None:  # templates are archived, never deleted, while codes point at them
            raise NotFound("Coupon template")
        return CouponTemplate.from_model(found)

    @strawberry.field(description="The customer it was issued to; null for a shared code.")
    async def customer(self, info: Info) -> Customer | None:
        if self.customer_id is None:
            return None
        found = await info.context.loaders.customers.load((self.tenant_id, UUID(self.customer_id)))
        return Customer.from_model(found) if found is not None else None

    @classmethod
    def from_model(cls, coupon: models.Coupon, *, now: datetime | None = None) -> Coupon:
        customer_id = coupon.customer_id  # type: ignore[attr-defined]
        return cls(
            id=strawberry.ID(str(coupon.id)),
            code=coupon.code,
            template_id=strawberry.ID(str(coupon.template_id)),  # type: ignore[attr-defined]
            customer_id=strawberry.ID(str(customer_id)) if customer_id else None,
            issued_at=coupon.issued_at,
            expires_at=coupon.expires_at,
            revoked_at=coupon.revoked_at,
            redemptions_count=coupon.redemptions_count,
            state=state_of(coupon, now or datetime.now(UTC)),
            tenant_id=coupon.tenant_id,  # type: ignore[attr-defined]
        )


@strawberry.type(description="Whether the checkout may apply a coupon code, and what it takes off this cart.")
class CouponCheck:
    valid: bool
    code: str = strawberry.field(description="The code asked about, without surrounding spaces.")
    reason: str | None = strawberry.field(
        description="Why not, for machines: " + ", ".join(validation.REASONS) + "."
    )
    message: str = strawberry.field(description="Why not, or what it gives, for the customer.")
    kind: CouponKind | None = strawberry.field(description="For a valid code: what it gives.")
    value: str | None = strawberry.field(
        description="For a valid code: the percent, or the fixed amount as a decimal in major units."
    )
    discount: str | None = strawberry.field(
        description="For a valid code: what it takes off this cart, a decimal in major units."
    )
    free_shipping: bool | None = strawberry.field(description="For a valid code: whether shipping is free.")
    expires_at: datetime | None = None


@strawberry.enum
class CouponErrorCode(Enum):
    INVALID = "INVALID"
    CURRENCY_MISMATCH = "CURRENCY_MISMATCH"
    TENANT_REQUIRED = "TENANT_REQUIRED"
    NOT_FOUND = "NOT_FOUND"
    NAME_TAKEN = "NAME_TAKEN"
    TEMPLATE_ARCHIVED = "TEMPLATE_ARCHIVED"
    TEMPLATE_EXPIRED = "TEMPLATE_EXPIRED"
    CODES_EXHAUSTED = "CODES_EXHAUSTED"


@strawberry.type
class CouponError:
    code: CouponErrorCode
    field: str | None = strawberry.field(description="The input at fault, e.g. value or productIds.0.")
    message: str


@strawberry.type
class CouponCheckPayload:
    check: CouponCheck | None = None
    errors: list[CouponError] = strawberry.field(default_factory=list)


@strawberry.type
class CouponTemplatePayload:
    template: CouponTemplate | None = None
    errors: list[CouponError] = strawberry.field(default_factory=list)


@strawberry.type
class CouponPayload:
    coupon: Coupon | None = None
    errors: list[CouponError] = strawberry.field(default_factory=list)


@strawberry.type(description="Codes made by this call, and those an earlier call with the same key made.")
class GenerateCouponsPayload:
    created: int | None = None
    existing: int | None = None
    errors: list[CouponError] = strawberry.field(default_factory=list)


def coupon_errors(payload: type) -> list[FieldExtension]:
    return errors_as_data(payload, CouponError, CouponErrorCode)
