"""Checking a code at the checkout: may this customer use it on this cart, and what does it take off?

The checks run in this order, and the first that fails is the answer's ``reason``:

``unknown_code`` (no such code in the store), ``revoked``, ``not_yet_valid`` (the template's start is
ahead), ``expired``, ``not_your_code`` (issued to another customer, or to someone the checkout does not
identify), ``used_up`` (the code's uses in all), ``used_up_for_customer`` (this customer's uses),
``first_order_only`` (the customer has ordered before), ``below_minimum`` (the cart total is under the
template's minimum), ``no_eligible_products`` (no line of the cart is a product the template covers).

The customer is identified as the plugin identifies them (:func:`domain.customers.service.find`: the
store's customer id, else phone, else e-mail). Someone Revisit does not know yet has no orders and no
uses: they may use a shared code, never one issued to a customer.

The discount: percent of the eligible lines (rounded down), or the fixed amount, or the cart's shipping
for free shipping; never more than the template's maximum, nor than the eligible amount (the shipping,
for free shipping). Lines are eligible when the template names no products or categories, or names
theirs, and excludes neither; without lines the cart total is eligible when the template names none.
A check only reads: the use is counted when the order arrives (:mod:`domain.coupons.redemption`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final
from uuid import UUID

from tortoise import connections

from domain.coupons.codes import normalise
from domain.coupons.models import Coupon, CouponTemplate
from domain.customers.service import CustomerIn
from domain.errors import DomainError

MESSAGES: Final = {
    "unknown_code": "This code is not known.",
    "revoked": "This code has been withdrawn.",
    "not_yet_valid": "This code is not valid yet.",
    "expired": "This code has expired.",
    "not_your_code": "This code belongs to another customer.",
    "used_up": "This code has been used as many times as it may be.",
    "used_up_for_customer": "You have already used this code.",
    "first_order_only": "This code is for a first order only.",
    "below_minimum": "Your cart does not reach the minimum for this code.",
    "no_eligible_products": "This code does not apply to the products in your cart.",
}
"""For the customer, by reason; the plugin shows its own translation of each reason it knows."""
REASONS: Final = tuple(MESSAGES)
MAX_LINES: Final = 500


@dataclass(frozen=True)
class CartLine:
    """One line of the cart: the product, its categories and the line's total in minor units."""

    product_id: str
    total: int
    category_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class Cart:
    """The cart at the checkout, in minor units. ``total`` is what the minimum is compared with."""

    total: int
    lines: tuple[CartLine, ...] = ()
    shipping_total: int = 0


@dataclass(frozen=True)
class CouponCheck:
    """The answer for one code: whether the checkout may apply it and what it takes off (``discount``,
    minor units, for this cart), or why not (``reason`` for machines, ``message`` for the customer)."""

    valid: bool
    reason: str | None
    message: str
    kind: str | None = None
    value: int | None = None
    """Percent, or minor units for a fixed coupon, as the template says."""
    discount: int = 0
    free_shipping: bool = False
    expires_at: datetime | None = None
    coupon_id: UUID | None = field(default=None, compare=False)


def refused(reason: str, *, coupon_id: UUID | None = None) -> CouponCheck:
    return CouponCheck(valid=False, reason=reason, message=MESSAGES[reason], coupon_id=coupon_id)


_CUSTOMER = """
WITH candidate AS (
  (SELECT id, orders_count, 1 AS rank FROM customers WHERE tenant_id = $1 AND external_id = $2::text LIMIT 1)
  UNION ALL
  (SELECT id, orders_count, 2 FROM customers WHERE tenant_id = $1 AND phone = $3::text LIMIT 1)
  UNION ALL
  (SELECT id, orders_count, 3 FROM customers WHERE tenant_id = $1 AND email = $4::text
   ORDER BY created_at LIMIT 1)
)
SELECT id, orders_count FROM candidate ORDER BY rank LIMIT 1
"""
"""The customer as ``customers.find`` identifies them, in one round trip."""
_USES_BY = """
SELECT count(*) AS uses FROM coupon_redemptions
WHERE tenant_id = $1 AND coupon_id = $2 AND customer_id = $3 AND state = 'redeemed'
"""


async def validate(
    *, tenant_id: UUID, code: str, customer_in: CustomerIn, cart: Cart, now: datetime
) -> CouponCheck:
    """Check ``code`` for this store, customer and cart. Reads only.

    Raises ``INVALID`` for a blank, overlong or control-character code, a negative amount, or too many lines.
    """
    normalised = normalise(code)
    _check_cart(cart)
    coupon = await Coupon.get_or_none(tenant_id=tenant_id, code=normalised).prefetch_related("template")
    if coupon is None:
        return refused("unknown_code")
    template: CouponTemplate = coupon.template
    refusal = _state(coupon, template, now)
    if refusal:
        return refused(refusal, coupon_id=coupon.id)
    rows = await connections.get("default").execute_query_dict(
        _CUSTOMER, [tenant_id, customer_in.external_id, customer_in.phone, customer_in.email]
    )
    customer_id: UUID | None = rows[0]["id"] if rows else None
    orders_count = int(rows[0]["orders_count"]) if rows else 0
    owner: UUID | None = coupon.customer_id  # type: ignore[attr-defined]
    if owner is not None and owner != customer_id:
        return refused("not_your_code", coupon_id=coupon.id)
    if template.usage_limit is not None and coupon.redemptions_count >= template.usage_limit:
        return refused("used_up", coupon_id=coupon.id)
    if template.usage_limit_per_customer is not None and customer_id is not None:
        [row] = await connections.get("default").execute_query_dict(
            _USES_BY, [tenant_id, coupon.id, customer_id]
        )
        if int(row["uses"]) >= template.usage_limit_per_customer:
            return refused("used_up_for_customer", coupon_id=coupon.id)
    if template.first_order_only and orders_count > 0:
        return refused("first_order_only", coupon_id=coupon.id)
    if cart.total < template.minimum_cart:
        return refused("below_minimum", coupon_id=coupon.id)
    eligible = eligible_amount(template, cart)
    if eligible is None:
        return refused("no_eligible_products", coupon_id=coupon.id)
    discount = discount_for(template, eligible=eligible, shipping=cart.shipping_total)
    return CouponCheck(
        valid=True,
        reason=None,
        message=template.description or template.name,
        kind=template.kind,
        value=template.value,
        discount=discount,
        free_shipping=template.kind == "free_shipping",
        expires_at=coupon.expires_at,
        coupon_id=coupon.id,
    )


def _check_cart(cart: Cart) -> None:
    if cart.total < 0:
        raise DomainError("INVALID", "The cart total must not be negative.", field="cartTotal")
    if cart.shipping_total < 0:
        raise DomainError("INVALID", "The shipping total must not be negative.", field="shippingTotal")
    if len(cart.lines) > MAX_LINES:
        raise DomainError("INVALID", f"A cart has at most {MAX_LINES} lines.", field="lines")
    if any(line.total < 0 for line in cart.lines):
        raise DomainError("INVALID", "A line's total must not be negative.", field="lines")


def _state(coupon: Coupon, template: CouponTemplate, now: datetime) -> str | None:
    """Why the code works for no one at ``now``, or None."""
    if coupon.revoked_at is not None and coupon.revoked_at <= now:
        return "revoked"
    if template.starts_at is not None and now < template.starts_at:
        return "not_yet_valid"
    if coupon.expires_at is not None and coupon.expires_at <= now:
        return "expired"
    if template.expires_at is not None and template.expires_at <= now:
        return "expired"
    return None


def limited(template: CouponTemplate) -> bool:
    """Whether the template covers only some products (names any product or category)."""
    return bool(
        template.product_ids
        or template.category_ids
        or template.excluded_product_ids
        or template.excluded_category_ids
    )


def line_eligible(template: CouponTemplate, line: CartLine) -> bool:
    """As WooCommerce decides it: named by product or by one of its categories (or nothing is named),
    and neither the product nor any of its categories excluded."""
    categories = set(line.category_ids)
    included = (not template.product_ids and not template.category_ids) or (
        line.product_id in template.product_ids or bool(categories & set(template.category_ids))
    )
    excluded = line.product_id in template.excluded_product_ids or bool(
        categories & set(template.excluded_category_ids)
    )
    return included and not excluded


def eligible_amount(template: CouponTemplate, cart: Cart) -> int | None:
    """What of the cart the coupon applies to (at most its total), or None when nothing is eligible.

    A free-shipping coupon without product limits applies to any cart."""
    if not limited(template):
        return cart.total
    lines: Sequence[CartLine] = [line for line in cart.lines if line_eligible(template, line)]
    if not lines:
        return None
    return min(sum(line.total for line in lines), cart.total)


def discount_for(template: CouponTemplate, *, eligible: int, shipping: int) -> int:
    """The amount taken off: never above the template's maximum nor the eligible amount."""
    if template.kind == "percent":
        amount = eligible * template.value // 100
    elif template.kind == "fixed":
        amount = min(template.value, eligible)
    else:
        amount = shipping
    if template.maximum_discount is not None:
        amount = min(amount, template.maximum_discount)
    return max(amount, 0)
