"""Coupon codes at checkout: until Revisit issues coupons, every code is unknown."""

from __future__ import annotations

import pytest

from domain.coupons import service as coupons
from domain.customers.service import CustomerIn
from domain.errors import DomainError
from tests.support.automation import make_tenant


async def test_every_code_is_unknown_until_coupons_exist(db: None) -> None:
    """A well-formed code is answered not valid, reason unknown_code, with a message for the customer."""
    # given
    tenant = await make_tenant()
    # when
    check = await coupons.validate(
        tenant_id=tenant.id,
        code="YALDA1403",
        customer_in=CustomerIn(external_id="57"),
        cart_total_minor=1_250_000,
    )
    # then
    assert check == coupons.CouponCheck(valid=False, reason="unknown_code", message="This code is not known.")


@pytest.mark.parametrize(("code", "cart_total"), [("", 0), ("   ", 0), ("X" * 65, 0), ("ABC", -1)])
async def test_a_blank_or_overlong_code_or_a_negative_cart_is_invalid(
    db: None, code: str, cart_total: int
) -> None:
    """Input the checkout should never send is INVALID rather than an unknown code."""
    # given
    tenant = await make_tenant()
    # when
    with pytest.raises(DomainError) as error:
        await coupons.validate(
            tenant_id=tenant.id, code=code, customer_in=CustomerIn(), cart_total_minor=cart_total
        )
    # then
    assert error.value.code == "INVALID"
