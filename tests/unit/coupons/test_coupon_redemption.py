"""Redemptions from order events, through the real processing pipeline: once per order, counted against
the limits, given back when the order is cancelled or fails, counted again if it comes back."""

from __future__ import annotations

from datetime import timedelta

from domain.commerce.models import Order
from domain.coupons import redemption, report
from domain.coupons.models import Coupon, CouponRedemption
from domain.coupons.validation import validate
from domain.customers.service import CustomerIn
from tests.support.coupons import NOW, cart, make_coupon, make_template
from tests.support.factories import make_owner
from tests.support.shop import deliver, order_event


async def test_an_order_carrying_a_code_redeems_it_once(db: None) -> None:
    """The same completed order delivered twice, with the code lower-cased, is one redemption."""
    # given
    owner = await make_owner()
    coupon = await make_coupon(await make_template(owner.tenant.id))
    event = order_event(
        customer="57", placed_at=NOW, total=900_000, order_id="1042", coupons=(coupon.code.lower(),)
    )
    # when
    await deliver(owner.tenant.id, [event], now=NOW)
    await deliver(owner.tenant.id, [{**event, "id": "again"}], now=NOW)
    # then
    rows = await CouponRedemption.filter(tenant_id=owner.tenant.id).values(
        "state", "order_total", "customer_id"
    )
    assert [(row["state"], row["order_total"]) for row in rows] == [("redeemed", 900_000)]
    assert rows[0]["customer_id"] is not None
    assert (await Coupon.get(id=coupon.id)).redemptions_count == 1
    assert await redemption.redeemed(tenant_id=owner.tenant.id, coupon_ids=[coupon.id]) == {coupon.id}


async def test_a_cancelled_order_gives_the_use_back_and_a_revived_one_takes_it_again(db: None) -> None:
    """completed → cancelled returns the redemption (the code is usable again); completed again counts it."""
    # given
    owner = await make_owner()
    coupon = await make_coupon(await make_template(owner.tenant.id, usage_limit=1))
    codes = (coupon.code,)
    await deliver(
        owner.tenant.id,
        [order_event(customer="57", placed_at=NOW, order_id="1", coupons=codes)],
        now=NOW,
    )
    used_up = await validate(
        tenant_id=owner.tenant.id, code=coupon.code, customer_in=CustomerIn(), cart=cart(), now=NOW
    )
    # when
    later = NOW + timedelta(hours=1)
    await deliver(
        owner.tenant.id,
        [order_event(customer="57", placed_at=later, order_id="1", status="cancelled", coupons=codes)],
        now=later,
    )
    freed = await validate(
        tenant_id=owner.tenant.id, code=coupon.code, customer_in=CustomerIn(), cart=cart(), now=later
    )
    returned = await CouponRedemption.get(coupon_id=coupon.id)
    live_after_cancel = await redemption.redeemed(tenant_id=owner.tenant.id, coupon_ids=[coupon.id])
    revived_at = later + timedelta(hours=1)
    await deliver(
        owner.tenant.id,
        [order_event(customer="57", placed_at=revived_at, order_id="1", status="completed", coupons=codes)],
        now=revived_at,
    )
    # then
    assert (used_up.reason, freed.valid, live_after_cancel) == ("used_up", True, set())
    assert (returned.state, returned.returned_at) == ("returned", later)
    assert (await CouponRedemption.get(coupon_id=coupon.id)).state == "redeemed"
    assert (await Coupon.get(id=coupon.id)).redemptions_count == 1


async def test_a_refund_keeps_the_redemption(db: None) -> None:
    """A refunded order used the code: its redemption stays."""
    # given
    owner = await make_owner()
    coupon = await make_coupon(await make_template(owner.tenant.id))
    await deliver(
        owner.tenant.id,
        [order_event(customer="5", placed_at=NOW, order_id="9", coupons=(coupon.code,))],
        now=NOW,
    )
    later = NOW + timedelta(hours=1)
    # when
    await deliver(
        owner.tenant.id,
        [order_event(customer="5", placed_at=later, order_id="9", status="refunded", coupons=(coupon.code,))],
        now=later,
    )
    # then
    assert (await CouponRedemption.get(coupon_id=coupon.id)).state == "redeemed"


async def test_a_batch_redeems_many_orders_and_splits_an_orders_discount(db: None) -> None:
    """300 orders in one batch, each with one code, and an order with two codes: each code gets half of
    that order's discount, and unknown codes are ignored."""
    # given
    owner = await make_owner()
    template = await make_template(owner.tenant.id)
    coupons = [await make_coupon(template) for _ in range(301)]
    events = [
        order_event(customer=f"c{n}", placed_at=NOW, order_id=f"o{n}", coupons=(coupon.code,))
        for n, coupon in enumerate(coupons[:300])
    ]
    both = order_event(
        customer="x", placed_at=NOW, order_id="both", coupons=(coupons[0].code, coupons[300].code, "SHOP10")
    )
    both["data"]["discount_total"] = "90000"
    # when
    await deliver(owner.tenant.id, [*events, both], now=NOW)
    # then
    assert await CouponRedemption.filter(tenant_id=owner.tenant.id).count() == 302
    shares = await CouponRedemption.filter(order__external_id="both").values_list("discount", flat=True)
    assert sorted(shares) == [30_000, 30_000]
    assert (await Coupon.get(id=coupons[0].id)).redemptions_count == 2


async def test_a_guest_order_and_an_order_without_codes_redeem_nothing_unexpected(db: None) -> None:
    """An order without codes records nothing; a code of another store is not this store's redemption."""
    # given
    owner, other = await make_owner(), await make_owner()
    theirs = await make_coupon(await make_template(other.tenant.id))
    # when
    await deliver(
        owner.tenant.id,
        [
            order_event(customer="1", placed_at=NOW, order_id="a"),
            order_event(customer="2", placed_at=NOW, order_id="b", coupons=(theirs.code,)),
        ],
        now=NOW,
    )
    # then
    assert await CouponRedemption.all().count() == 0


async def test_the_usage_report_counts_each_order_once_and_its_refunds(db: None) -> None:
    """Two codes of one template on one order: one redemption in the report, its revenue less the
    part refunded since."""
    # given
    owner = await make_owner()
    template = await make_template(owner.tenant.id)
    first, second = await make_coupon(template), await make_coupon(template)
    event = order_event(
        customer="5", placed_at=NOW, total=1_000_000, order_id="r1", coupons=(first.code, second.code)
    )
    await deliver(owner.tenant.id, [event], now=NOW)
    await Order.filter(tenant_id=owner.tenant.id, external_id="r1").update(refunded_total=250_000)
    # when
    usage = await report.usage(tenant_id=owner.tenant.id, template_id=template.id)
    # then
    assert (usage.issued, usage.redeemed_codes, usage.redemptions, usage.customers) == (2, 2, 1, 1)
    assert usage.revenue == 750_000
