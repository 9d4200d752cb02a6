"""GraphQL types of the coupons context: a checkout's question about a code."""

from __future__ import annotations

from enum import Enum

import strawberry

from domain.coupons import service as coupons


@strawberry.type(description="Whether the checkout may apply a coupon code.")
class CouponCheck:
    valid: bool
    code: str = strawberry.field(description="The code asked about, without surrounding spaces.")
    reason: str | None = strawberry.field(description="Why not, for machines: unknown_code.")
    message: str = strawberry.field(description="Why not, or what it gives, for the customer.")

    @classmethod
    def from_domain(cls, check: coupons.CouponCheck, *, code: str) -> CouponCheck:
        return cls(valid=check.valid, code=code, reason=check.reason, message=check.message)


@strawberry.enum
class CouponErrorCode(Enum):
    INVALID = "INVALID"
    CURRENCY_MISMATCH = "CURRENCY_MISMATCH"
    TENANT_REQUIRED = "TENANT_REQUIRED"
    NOT_FOUND = "NOT_FOUND"


@strawberry.type
class CouponError:
    code: CouponErrorCode
    field: str | None
    message: str


@strawberry.type
class CouponCheckPayload:
    check: CouponCheck | None = None
    errors: list[CouponError] = strawberry.field(default_factory=list)
