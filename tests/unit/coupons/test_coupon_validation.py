"""Coupon codes at checkout: valid or not with the exact reason, and the discount for the cart."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.commerce.models import Order
from domain.coupons import issuing, redemption
from domain.coupons.validation import validate
from domain.customers.service import CustomerIn
from domain.errors import DomainError
from tests.support.automation import make_customer, make_order, make_tenant
from tests.support.coupons import NOW, cart, make_coupon, make_template


async def test_an_unknown_code_is_answered_unknown_code(db: None) -> None:
    """A well-formed code the store never issued is not valid, reason unknown_code."""
    # given
    tenant = await make_tenant()
    # when
    check = await validate(
        tenant_id=tenant.id, code="YALDA1403", customer_in=CustomerIn(external_id="57"), cart=cart(), now=NOW
    )
    # then
    assert (check.valid, check.reason, check.message) == (False, "unknown_code", "This code is not known.")


@pytest.mark.parametrize("code", ["", "   ", "X" * 65, "A\x00B", "A\x07"])
async def test_a_blank_overlong_or_control_character_code_is_invalid(db: None, code: str) -> None:
    """Input the checkout should never send is INVALID naming the code, not an unknown code."""
    # given
    tenant = await make_tenant()
    # when
    with pytest.raises(DomainError) as error:
        await validate(tenant_id=tenant.id, code=code, customer_in=CustomerIn(), cart=cart(), now=NOW)
    # then
    assert (error.value.code, error.value.field) == ("INVALID", "code")


@pytest.mark.parametrize(
    ("bad_cart", "field"),
    [(cart(-1), "cartTotal"), (cart(10, shipping=-1), "shippingTotal"), (cart(10, ("p", -5, ())), "lines")],
)
async def test_negative_amounts_are_invalid(db: None, bad_cart: object, field: str) -> None:
    """A negative total, shipping or line total is INVALID naming it."""
    # given
    tenant = await make_tenant()
    # when
    with pytest.raises(DomainError) as error:
        await validate(tenant_id=tenant.id, code="ABC", customer_in=CustomerIn(), cart=bad_cart, now=NOW)  # type: ignore[arg-type]
    # then
    assert (error.value.code, error.value.field) == ("INVALID", field)


async def test_a_code_is_found_in_any_case_and_with_persian_digits(db: None) -> None:
    """WooCommerce lower-cases codes and shoppers type Persian digits: both find the stored code."""
    # given
    tenant = await make_tenant()
    template = await make_template(tenant, code_prefix="YALDA2")
    coupon = await make_coupon(template)
    typed = " " + coupon.code.lower().replace("2", "۲") + " "
    # when
    check = await validate(tenant_id=tenant.id, code=typed, customer_in=CustomerIn(), cart=cart(), now=NOW)
    # then
    assert check.valid and check.coupon_id == coupon.id


async def test_percent_off_is_rounded_down_and_capped_by_the_maximum(db: None) -> None:
    """15 % of 1,000,333 is 150,049 (rounded down); with a 100,000 maximum it is 100,000."""
    # given
    tenant = await make_tenant()
    plain = await make_coupon(await make_template(tenant, value=15))
    capped = await make_coupon(await make_template(tenant, value=15, maximum_discount=100_000))
    # when
    first = await validate(
        tenant_id=tenant.id, code=plain.code, customer_in=CustomerIn(), cart=cart(1_000_333), now=NOW
    )
    second = await validate(
        tenant_id=tenant.id, code=capped.code, customer_in=CustomerIn(), cart=cart(1_000_333), now=NOW
    )
    # then
    assert (first.kind, first.value, first.discount) == ("percent", 15, 150_049)
    assert second.discount == 100_000


async def test_a_fixed_amount_never_exceeds_the_eligible_amount(db: None) -> None:
    """50,000 off a 30,000 cart takes 30,000; off a 1,000,000 cart, 50,000."""
    # given
    tenant = await make_tenant()
    coupon = await make_coupon(await make_template(tenant, kind="fixed", value=50_000))
    # when
    small = await validate(
        tenant_id=tenant.id, code=coupon.code, customer_in=CustomerIn(), cart=cart(30_000), now=NOW
    )
    large = await validate(
        tenant_id=tenant.id, code=coupon.code, customer_in=CustomerIn(), cart=cart(), now=NOW
    )
    # then
    assert (small.discount, large.discount) == (30_000, 50_000)


async def test_free_shipping_takes_the_shipping_off(db: None) -> None:
    """A free-shipping code's discount is the cart's shipping, capped by the maximum."""
    # given
    tenant = await make_tenant()
    coupon = await make_coupon(
        await make_template(tenant, kind="free_shipping", value=0, maximum_discount=40_000)
    )
    # when
    check = await validate(
        tenant_id=tenant.id, code=coupon.code, customer_in=CustomerIn(), cart=cart(shipping=60_000), now=NOW
    )
    # then
    assert (check.valid, check.free_shipping, check.discount) == (True, True, 40_000)


async def test_product_and_category_limits_decide_the_eligible_lines(db: None) -> None:
    """Only lines of the named category count, an excluded product never; none: no_eligible_products."""
    # given
    tenant = await make_tenant()
    template = await make_template(tenant, value=10, category_ids=["tea"], excluded_product_ids=["gift-box"])
    coupon = await make_coupon(template)
    mixed = cart(
        900_000, ("green", 500_000, ("tea",)), ("gift-box", 100_000, ("tea",)), ("mug", 300_000, ("ware",))
    )
    none = cart(300_000, ("mug", 300_000, ("ware",)))
    # when
    applies = await validate(
        tenant_id=tenant.id, code=coupon.code, customer_in=CustomerIn(), cart=mixed, now=NOW
    )
    refused = await validate(
        tenant_id=tenant.id, code=coupon.code, customer_in=CustomerIn(), cart=none, now=NOW
    )
    no_lines = await validate(
        tenant_id=tenant.id, code=coupon.code, customer_in=CustomerIn(), cart=cart(), now=NOW
    )
    # then
    assert applies.discount == 50_000
    assert refused.reason == "no_eligible_products"
    assert no_lines.reason == "no_eligible_products"


async def test_the_minimum_cart_is_compared_with_the_cart_total(db: None) -> None:
    """One toman under the minimum is below_minimum; the minimum itself is enough."""
    # given
    tenant = await make_tenant()
    coupon = await make_coupon(await make_template(tenant, minimum_cart=500_000))
    # when
    under = await validate(
        tenant_id=tenant.id, code=coupon.code, customer_in=CustomerIn(), cart=cart(499_999), now=NOW
    )
    exact = await validate(
        tenant_id=tenant.id, code=coupon.code, customer_in=CustomerIn(), cart=cart(500_000), now=NOW
    )
    # then
    assert (under.reason, exact.valid) == ("below_minimum", True)


async def test_a_code_issued_to_a_customer_works_only_for_them(db: None) -> None:
    """Sara's code works for Sara (by store id, by phone); not for Reza, nor for someone unidentified."""
    # given
    tenant = await make_tenant()
    sara, reza = await make_customer(tenant), await make_customer(tenant)
    coupon = await make_coupon(await make_template(tenant), customer_id=sara.id)
    # when
    by_id = await validate(
        tenant_id=tenant.id,
        code=coupon.code,
        customer_in=CustomerIn(external_id=sara.external_id),
        cart=cart(),
        now=NOW,
    )
    by_phone = await validate(
        tenant_id=tenant.id, code=coupon.code, customer_in=CustomerIn(phone=sara.phone), cart=cart(), now=NOW
    )
    other = await validate(
        tenant_id=tenant.id,
        code=coupon.code,
        customer_in=CustomerIn(external_id=reza.external_id),
        cart=cart(),
        now=NOW,
    )
    nobody = await validate(
        tenant_id=tenant.id, code=coupon.code, customer_in=CustomerIn(), cart=cart(), now=NOW
    )
    # then
    assert (by_id.valid, by_phone.valid) == (True, True)
    assert (other.reason, nobody.reason) == ("not_your_code", "not_your_code")


async def test_revoked_not_yet_valid_and_expired_codes_are_refused(db: None) -> None:
    """Each state has its reason; a code expires at its expiry moment exactly."""
    # given
    tenant = await make_tenant()
    revoked = await make_coupon(await make_template(tenant))
    await issuing.revoke(tenant_id=tenant.id, coupon_id=revoked.id, now=NOW)
    future = await make_coupon(await make_template(tenant, starts_at=NOW + timedelta(days=1)))
    weekly = await make_coupon(await make_template(tenant, valid_days=7))
    # when
    answers = [
        await validate(tenant_id=tenant.id, code=code, customer_in=CustomerIn(), cart=cart(), now=moment)
        for code, moment in (
            (revoked.code, NOW),
            (future.code, NOW),
            (weekly.code, NOW + timedelta(days=7) - timedelta(seconds=1)),
            (weekly.code, NOW + timedelta(days=7)),
        )
    ]
    # then
    assert [answer.reason for answer in answers] == ["revoked", "not_yet_valid", None, "expired"]


async def test_first_order_only_refuses_a_customer_who_has_ordered(db: None) -> None:
    """A returning customer is refused first_order_only; a new one, and someone unknown, may use it."""
    # given
    tenant = await make_tenant()
    returning, new = await make_customer(tenant), await make_customer(tenant)
    returning.orders_count = 1
    await returning.save()
    coupon = await make_coupon(await make_template(tenant, first_order_only=True))
    # when
    answers = [
        await validate(tenant_id=tenant.id, code=coupon.code, customer_in=who, cart=cart(), now=NOW)
        for who in (
            CustomerIn(external_id=returning.external_id),
            CustomerIn(external_id=new.external_id),
            CustomerIn(email="x@y.ir"),
        )
    ]
    # then
    assert [answer.reason for answer in answers] == ["first_order_only", None, None]


async def test_usage_limits_in_all_and_per_customer(db: None) -> None:
    """A code used on its one allowed order is used_up; per customer, the one who used it is refused."""
    # given
    tenant = await make_tenant()
    sara, reza = await make_customer(tenant), await make_customer(tenant)
    once = await make_coupon(await make_template(tenant, usage_limit=1))
    each_once = await make_coupon(await make_template(tenant, usage_limit_per_customer=1))
    for coupon in (once, each_once):
        order = await make_order(tenant, sara)
        await Order.filter(id=order.id).update(coupon_codes=[coupon.code.lower()])
        await redemption.apply(tenant_id=tenant.id, placed=[order.id], reversed_=[], now=NOW)
    # when
    used_up = await validate(
        tenant_id=tenant.id,
        code=once.code,
        customer_in=CustomerIn(external_id=reza.external_id),
        cart=cart(),
        now=NOW,
    )
    sara_again = await validate(
        tenant_id=tenant.id,
        code=each_once.code,
        customer_in=CustomerIn(external_id=sara.external_id),
        cart=cart(),
        now=NOW,
    )
    reza_first = await validate(
        tenant_id=tenant.id,
        code=each_once.code,
        customer_in=CustomerIn(external_id=reza.external_id),
        cart=cart(),
        now=NOW,
    )
    # then
    assert (used_up.reason, sara_again.reason, reza_first.valid) == ("used_up", "used_up_for_customer", True)


async def test_another_stores_code_is_unknown(db: None) -> None:
    """A code is unique per store: another store's code is unknown_code here."""
    # given
    mine, theirs = await make_tenant(name="Mine"), await make_tenant(name="Theirs")
    coupon = await make_coupon(await make_template(theirs))
    # when
    check = await validate(
        tenant_id=mine.id, code=coupon.code, customer_in=CustomerIn(), cart=cart(), now=NOW
    )
    # then
    assert check.reason == "unknown_code"
