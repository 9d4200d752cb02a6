"""The input types the template mutations share: a template's terms as the owner writes them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from domain.errors import DomainError
from graph.core.scalars import Money
from graph.coupons.types import CouponKind


@strawberry.input(
    description=(
        "A coupon template's terms. Amounts are minor units of the store's currency. Lists name at most "
        "1,000 ids of 1 to 64 characters; a product or category may not be both included and excluded."
    )
)
class CouponTemplateInput:
    name: str = strawberry.field(description="1 to 120 characters, unique in the store.")
    kind: CouponKind
    value: Money = strawberry.field(
        default=Money(0), description="PERCENT: 1–100; FIXED: minor units, 1 to 10^15; FREE_SHIPPING: 0."
    )
    description: str = strawberry.field(default="", description="At most 500 characters.")
    minimum_cart: Money = strawberry.field(default=Money(0), description="0 to 10^15; 0 for none.")
    maximum_discount: Money | None = strawberry.field(default=None, description="1 to 10^15; null: no cap.")
    product_ids: list[str] = strawberry.field(default_factory=list)
    excluded_product_ids: list[str] = strawberry.field(default_factory=list)
    category_ids: list[str] = strawberry.field(default_factory=list)
    excluded_category_ids: list[str] = strawberry.field(default_factory=list)
    first_order_only: bool = False
    usage_limit: int | None = strawberry.field(default=None, description="1 to 10^9 orders per code.")
    usage_limit_per_customer: int | None = strawberry.field(
        default=None, description="1 to 10,000 orders per customer per code."
    )
    starts_at: datetime | None = None
    expires_at: datetime | None = strawberry.field(
        default=None, description="With a time zone; after startsAt."
    )
    valid_days: int | None = strawberry.field(default=None, description="1 to 3,650 days after issue.")
    code_prefix: str = strawberry.field(default="", description="Up to 12 letters, digits and hyphens.")


def terms(data: Any) -> dict[str, Any]:
    """The input's fields as the domain names them, the kind as its value, unset fields left out."""
    result: dict[str, Any] = {}
    for key, value in vars(data).items():
        if value is strawberry.UNSET:
            continue
        result[key] = value.value if isinstance(value, CouponKind) else value
    return result


@strawberry.input(description="What to change in a template; what is left out stays, null clears.")
class CouponTemplateChanges:
    name: str | None = strawberry.UNSET
    kind: CouponKind | None = strawberry.UNSET
    value: Money | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    minimum_cart: Money | None = strawberry.UNSET
    maximum_discount: Money | None = strawberry.UNSET
    product_ids: list[str] | None = strawberry.UNSET
    excluded_product_ids: list[str] | None = strawberry.UNSET
    category_ids: list[str] | None = strawberry.UNSET
    excluded_category_ids: list[str] | None = strawberry.UNSET
    first_order_only: bool | None = strawberry.UNSET
    usage_limit: int | None = strawberry.UNSET
    usage_limit_per_customer: int | None = strawberry.UNSET
    starts_at: datetime | None = strawberry.UNSET
    expires_at: datetime | None = strawberry.UNSET
    valid_days: int | None = strawberry.UNSET
    code_prefix: str | None = strawberry.UNSET


MAX_IDEMPOTENCY_KEY = 150
"""The longest key a client may give (stored with a prefix naming where the issue came from)."""


def origin_key(raw: str, *, source: str) -> str:
    """``source:key`` for a client's idempotency key; ``INVALID`` naming it when blank, over 150
    characters or carrying control characters."""
    key = raw.strip()
    if not key or len(key) > MAX_IDEMPOTENCY_KEY or any(ord(char) < 32 or ord(char) == 127 for char in key):
        raise DomainError(
            "INVALID",
            f"An idempotency key is 1 to {MAX_IDEMPOTENCY_KEY} plain characters.",
            field="idempotencyKey",
        )
    return f"{source}:{key}"
