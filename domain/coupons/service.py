"""Coupon codes a store's checkout asks about: codes the store itself does not know (virtual coupons).

Revisit does not issue coupons yet, so every code is unknown. :func:`validate` is nonetheless the one
entry point the API calls; it will look the code up once coupons exist, with the customer and the
cart total that per-customer limits and minimum spends need.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final
from uuid import UUID

from domain.customers.service import CustomerIn
from domain.errors import DomainError

MAX_CODE_LENGTH: Final = 64
UNKNOWN_CODE: Final = "unknown_code"
"""The reason for a code Revisit never issued in this store."""


@dataclass(frozen=True)
class CouponCheck:
    """The answer for one code: whether the checkout may apply it, and if not, why (``reason`` is for
    machines, ``message`` for the customer)."""

    valid: bool
    reason: str | None
    message: str


async def validate(
    *, tenant_id: UUID, code: str, customer_in: CustomerIn, cart_total_minor: int
) -> CouponCheck:
    """Check ``code`` for this store, customer and cart (``cart_total_minor`` in minor units).

    Raises ``INVALID`` for a blank or overlong code or a negative cart total.
    """
    if not code.strip() or len(code.strip()) > MAX_CODE_LENGTH:
        raise DomainError("INVALID", f"A coupon code is 1 to {MAX_CODE_LENGTH} characters.", field="code")
    if cart_total_minor < 0:
        raise DomainError("INVALID", "The cart total must not be negative.", field="cartTotal")
    return CouponCheck(valid=False, reason=UNKNOWN_CODE, message="This code is not known.")
