"""Results: attributed revenue by last touch or coupon, once per order and net of refunds; the lift
over the control group; opt-outs after launch, coupons redeemed and credit spent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from domain.campaigns.models import Campaign, CampaignRecipient
from domain.campaigns.results import campaign_results
from domain.commerce.models import Order
from domain.coupons.models import Coupon, CouponRedemption
from domain.customers.models import Customer
from domain.incentives.models import CreditEntry
from domain.messaging.models import SmsSuppression
from domain.tenancy.models import Tenant
from tests.support.automation import make_customer, make_order, make_tenant
from tests.support.coupons import make_coupon, make_template
from tests.unit.campaigns.campaign_support import campaign_message, make_campaign

LAUNCH = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


async def launched(tenant: Tenant, **fields: Any) -> Campaign:
    return await make_campaign(tenant, status="sending", launched_at=LAUNCH, attribution_days=7, **fields)


async def recipient(campaign: Campaign, customer: Customer, status: str = "treated", **fields: Any) -> None:
    await CampaignRecipient.create(
        tenant_id=campaign.tenant_id,  # type: ignore[attr-defined]
        campaign_id=campaign.id,
        customer_id=customer.id,
        phone=customer.phone,
        status=status,
        **fields,
    )


async def delivered(campaign: Campaign, customer: Customer, at: datetime) -> None:
    await recipient(campaign, customer)
    await campaign_message(
        campaign, customer, status="sent", delivery_status="delivered", delivery_status_at=at, sent_at=at
    )


async def order(
    tenant: Tenant, customer: Customer, at: datetime, total: int, status: str = "completed", refunded: int = 0
) -> Order:
    """An order of ``customer`` placed at ``at``, ``refunded`` of it given back."""
    made = await make_order(tenant, customer, total=total, status=status)
    await Order.filter(id=made.id).update(placed_at=at, refunded_total=refunded)
    return made


async def test_an_order_goes_to_the_last_campaign_delivered_before_it(db: None) -> None:
    """Two campaigns reach one customer; the order after both goes to the later one only, the order
    before the later one to the earlier, an order past the window to neither; refunds are deducted."""
    # given
    tenant = await make_tenant()
    customer = await make_customer(tenant)
    first = await launched(tenant)
    second = await make_campaign(tenant, status="sending", launched_at=LAUNCH + timedelta(days=2))
    await delivered(first, customer, LAUNCH + timedelta(minutes=5))
    await delivered(second, customer, LAUNCH + timedelta(days=2, minutes=5))
    await order(tenant, customer, LAUNCH + timedelta(days=1), 1_000_000, refunded=200_000)
    await order(tenant, customer, LAUNCH + timedelta(days=3), 500_000)
    await order(tenant, customer, LAUNCH + timedelta(days=20), 700_000)
    # when
    earlier = await campaign_results(tenant_id=tenant.id, campaign_id=first.id)
    later = await campaign_results(tenant_id=tenant.id, campaign_id=second.id)
    # then
    assert (earlier.attributed_orders, earlier.attributed_revenue) == (1, 800_000)
    assert (later.attributed_orders, later.attributed_revenue) == (1, 500_000)
    assert (earlier.sent, earlier.delivered) == (1, 1)


async def test_an_order_with_the_campaigns_coupon_is_its_own_whatever_the_last_touch(db: None) -> None:
    """An order that redeems campaign A's code goes to A even when campaign B's message came later;
    the redemption counts for A."""
    # given
    tenant = await make_tenant()
    customer = await make_customer(tenant)
    template = await make_template(tenant)
    first = await launched(tenant, incentive="coupon", coupon_template_id=template.id)
    second = await launched(tenant)
    coupon = await make_coupon(template, customer_id=customer.id)
    await recipient(first, customer)
    await campaign_message(first, customer, status="sent")
    await Coupon.filter(id=coupon.id).update(origin_key=f"campaign:{first.id}:{customer.id}")
    await delivered(second, customer, LAUNCH + timedelta(hours=2))
    bought = await order(tenant, customer, LAUNCH + timedelta(hours=3), 900_000)
    await CouponRedemption.create(
        tenant_id=tenant.id,
        coupon_id=coupon.id,
        order_id=bought.id,
        customer_id=customer.id,
        redeemed_at=LAUNCH + timedelta(hours=3),
        order_total=900_000,
    )
    # when
    owner = await campaign_results(tenant_id=tenant.id, campaign_id=first.id)
    other = await campaign_results(tenant_id=tenant.id, campaign_id=second.id)
    # then
    assert (owner.attributed_orders, owner.attributed_revenue, owner.coupons_redeemed) == (1, 900_000, 1)
    assert other.attributed_orders == 0


async def test_the_lift_compares_treated_and_control_in_the_same_window(db: None) -> None:
    """Two of four treated bought (50 %), one of two control (50 %) → no conversion lift; revenue per
    customer 300,000 treated vs 100,000 control → a lift of 200,000."""
    # given
    tenant = await make_tenant()
    campaign = await launched(tenant)
    treated = [await make_customer(tenant) for _ in range(4)]
    control = [await make_customer(tenant) for _ in range(2)]
    for person in treated:
        await recipient(campaign, person)
    for person in control:
        await recipient(campaign, person, status="control")
    await order(tenant, treated[0], LAUNCH + timedelta(days=1), 1_000_000)
    await order(tenant, treated[1], LAUNCH + timedelta(days=2), 200_000)
    await order(tenant, treated[2], LAUNCH - timedelta(days=1), 5_000_000)
    await order(tenant, control[0], LAUNCH + timedelta(days=1), 200_000)
    await order(tenant, control[1], LAUNCH + timedelta(days=1), 900_000, status="cancelled")
    # when
    results = await campaign_results(tenant_id=tenant.id, campaign_id=campaign.id)
    # then
    assert (results.treated.customers, results.treated.converted, results.treated.revenue) == (
        4,
        2,
        1_200_000,
    )
    assert (results.control.customers, results.control.converted, results.control.revenue) == (2, 1, 200_000)
    assert results.conversion_lift == 0.0
    assert results.revenue_per_customer_lift == 300_000 - 100_000


async def test_opt_outs_after_launch_are_counted_and_earlier_ones_are_not(db: None) -> None:
    """A recipient whose phone was suppressed after launch, and one who withdrew consent after it,
    count as opted out after; a suppression from before the launch does not."""
    # given
    tenant = await make_tenant()
    campaign = await launched(tenant)
    people = [await make_customer(tenant) for _ in range(3)]
    for person in people:
        await recipient(campaign, person)
    await SmsSuppression.create(
        tenant_id=tenant.id,
        phone=people[0].phone,
        source="kavenegar",
        suppressed_at=LAUNCH + timedelta(hours=1),
    )
    await SmsSuppression.create(
        tenant_id=tenant.id, phone=people[1].phone, source="owner", suppressed_at=LAUNCH - timedelta(days=1)
    )
    await Customer.filter(id=people[2].id).update(
        marketing_consent=False, consent_source="customer", consent_changed_at=LAUNCH + timedelta(hours=2)
    )
    # when
    results = await campaign_results(tenant_id=tenant.id, campaign_id=campaign.id)
    # then
    assert results.opted_out_after == 2


async def test_a_draft_has_empty_results(db: None) -> None:
    """Before launch there is nothing to measure: every figure is zero, no lift."""
    # given
    tenant = await make_tenant()
    campaign = await make_campaign(tenant)
    # when
    results = await campaign_results(tenant_id=tenant.id, campaign_id=campaign.id)
    # then
    assert (results.attributed_orders, results.treated.customers, results.conversion_lift) == (0, 0, None)


async def test_credit_spent_counts_what_recipients_spent_up_to_the_campaigns_gift(db: None) -> None:
    """Of 50,000 given each: one spent 30,000 and had 10,000 of it released (20,000), one spent 80,000
    (50,000 counted: the rest was other credit); a customer outside the campaign counts nothing."""
    # given
    tenant = await make_tenant()
    campaign = await launched(tenant, incentive="credit", credit_amount=50_000)
    thrifty, lavish, outsider = [await make_customer(tenant) for _ in range(3)]
    await recipient(campaign, thrifty, credit_amount=50_000)
    await recipient(campaign, lavish, credit_amount=50_000)
    for person, kind, amount in (
        (thrifty, "redemption", -30_000),
        (thrifty, "release", 10_000),
        (lavish, "redemption", -80_000),
        (outsider, "redemption", -40_000),
    ):
        await CreditEntry.create(
            tenant_id=tenant.id,
            customer_id=person.id,
            kind=kind,
            amount=amount,
            available_at=LAUNCH + timedelta(days=1),
            idempotency_key=f"{kind}:{person.id}",
        )
    # when
    results = await campaign_results(tenant_id=tenant.id, campaign_id=campaign.id)
    # then
    assert results.credit_spent == 20_000 + 50_000
