"""The dry run's replay of every trigger over a small history: who fired, when, only in the window and
only in the store; segment conditions read the stays recorded at that moment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from domain.automation.definition import JourneyDefinition
from domain.automation.dry_run import dry_run
from domain.commerce.models import Refund
from domain.coupons.models import Coupon, CouponRedemption, CouponTemplate
from domain.incentives import ledger
from domain.segments.models import Segment, SegmentMembership
from tests.support.journey_history import make_person, make_purchase, make_store

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)
GRANT = [{"type": "grant_credit", "amount": 1_000}]


async def replayed(tenant: Any, trigger: dict[str, Any], days: int = 10, **more: Any) -> Any:
    definition = JourneyDefinition.model_validate({"trigger": trigger, "steps": GRANT, **more})
    return await dry_run(tenant_id=tenant.id, definition=definition, days=days, now=NOW)


async def test_order_events_fire_for_orders_in_the_window_only(db: None) -> None:
    """Created, cancelled and refunded orders inside the window fire their triggers; older ones, guest
    orders and another store's do not."""
    # given
    tenant, other = await make_store(), await make_store()
    buyer = await make_person(tenant)
    await make_purchase(tenant, buyer, at=NOW - 2 * DAY)
    await make_purchase(tenant, buyer, at=NOW - 20 * DAY)
    await make_purchase(tenant, buyer, at=NOW - 3 * DAY, status="cancelled")
    refunded = await make_purchase(tenant, buyer, at=NOW - 30 * DAY)
    await Refund.create(
        tenant_id=tenant.id, order_id=refunded.id, external_id="r1", amount=500, refunded_at=NOW - DAY
    )
    await make_purchase(other, await make_person(other), at=NOW - DAY)
    # when
    created = await replayed(tenant, {"type": "event", "event": "order.created"})
    cancels = await replayed(tenant, {"type": "event", "event": "order.cancelled"})
    refunds = await replayed(tenant, {"type": "event", "event": "order.refunded"})
    # then
    assert created.triggered == 2  # the completed one two days ago and the cancelled one
    assert (cancels.triggered, cancels.entered) == (1, 1)
    assert (refunds.triggered, refunds.credit) == (1, 1_000)


async def test_the_nth_order_counts_the_customers_earlier_orders_too(db: None) -> None:
    """A second completed order in the window fires nth_order 2 even when the first was long before."""
    # given
    tenant = await make_store()
    loyal, new = await make_person(tenant), await make_person(tenant)
    await make_purchase(tenant, loyal, at=NOW - 200 * DAY)
    await make_purchase(tenant, loyal, at=NOW - 3 * DAY)
    await make_purchase(tenant, new, at=NOW - 3 * DAY)
    # when
    second = await replayed(tenant, {"type": "nth_order", "n": 2})
    first = await replayed(tenant, {"type": "nth_order", "n": 1})
    # then
    assert (second.triggered, second.entered) == (1, 1)
    assert first.triggered == 1


async def test_sign_ups_and_updates_in_the_window(db: None) -> None:
    """customer.created fires for customers created in the window; customer.updated by their latest update."""
    # given
    tenant = await make_store()
    await make_person(tenant)
    # when
    created = await replayed(tenant, {"type": "event", "event": "customer.created"}, days=1)
    updated = await replayed(tenant, {"type": "event", "event": "customer.updated"}, days=1)
    # then: the factory wrote them now, after NOW's window ended
    assert (created.triggered, updated.triggered) == (0, 0)
    recent = await dry_run(
        tenant_id=tenant.id,
        definition=JourneyDefinition.model_validate(
            {"trigger": {"type": "event", "event": "customer.created"}, "steps": GRANT}
        ),
        days=1,
        now=datetime.now(UTC) + timedelta(minutes=1),
    )
    assert recent.entered == 1
    assert any("latest update" in note for note in updated.notes)


async def test_segment_entries_and_the_in_segment_condition_read_the_stays(db: None) -> None:
    """Entering a segment in the window fires; an in_segment condition holds only for customers who were
    members when the trigger fired."""
    # given
    tenant = await make_store()
    vip = await Segment.create(tenant_id=tenant.id, name="VIP", kind="static")
    newsletter = await Segment.create(tenant_id=tenant.id, name="Newsletter", kind="static")
    member, former = await make_person(tenant), await make_person(tenant)
    for customer in (member, former):
        await SegmentMembership.create(
            tenant_id=tenant.id, segment_id=vip.id, customer_id=customer.id, entered_at=NOW - 2 * DAY
        )
    await SegmentMembership.create(
        tenant_id=tenant.id, segment_id=newsletter.id, customer_id=member.id, entered_at=NOW - 30 * DAY
    )
    await SegmentMembership.create(
        tenant_id=tenant.id,
        segment_id=newsletter.id,
        customer_id=former.id,
        entered_at=NOW - 30 * DAY,
        left_at=NOW - 5 * DAY,
    )
    trigger = {"type": "segment", "event": "entered", "segment_id": str(vip.id)}
    # when
    result = await replayed(
        tenant, trigger, conditions=[{"type": "in_segment", "segment_id": str(newsletter.id)}]
    )
    # then
    assert (result.triggered, result.entered, result.left_out["conditions"]) == (2, 1, 1)


async def test_expiring_credit_and_coupons_fire_days_before(db: None) -> None:
    """Credit granted before the day and expiring three days after it fires; a coupon expiring two days
    after a day of the window fires unless it was used up by then."""
    # given
    tenant = await make_store()
    saver, spender = await make_person(tenant), await make_person(tenant)
    await ledger.grant(
        tenant_id=tenant.id,
        customer_id=saver.id,
        amount=7_000,
        kind=ledger.CREDIT,
        idempotency_key="gift",
        available_at=NOW - 30 * DAY,
        expires_at=NOW - DAY,
        now=NOW - 30 * DAY,
    )
    template = await CouponTemplate.create(
        tenant_id=tenant.id, name="5%", kind="percent", value=5, usage_limit=1
    )
    await Coupon.create(
        tenant_id=tenant.id, template_id=template.id, code="KEEP2345", customer_id=saver.id,
        issued_at=NOW - 20 * DAY, expires_at=NOW - 2 * DAY,
    )  # fmt: skip
    used = await Coupon.create(
        tenant_id=tenant.id, template_id=template.id, code="USED2345", customer_id=spender.id,
        issued_at=NOW - 20 * DAY, expires_at=NOW - 2 * DAY, redemptions_count=1,
    )  # fmt: skip
    order = await make_purchase(tenant, spender, at=NOW - 15 * DAY)
    await CouponRedemption.create(
        tenant_id=tenant.id,
        coupon_id=used.id,
        order_id=order.id,
        customer_id=spender.id,
        redeemed_at=NOW - 15 * DAY,
    )
    # when
    credit = await replayed(tenant, {"type": "credit_expiring", "days_before": 3})
    coupons = await replayed(tenant, {"type": "coupon_expiring", "days_before": 2})
    # then
    assert (credit.triggered, credit.entered) == (1, 1)
    assert coupons.triggered == 1


async def test_first_order_anniversaries_in_a_gregorian_store(db: None) -> None:
    """A first order on 29 February 2024 has its anniversary on 28 February 2025."""
    # given
    tenant = await make_store(locale="en", timezone="Europe/London", currency="GBP")
    leap = datetime(2024, 2, 29, 15, 0, tzinfo=UTC)
    await make_person(tenant, first_order_at=leap)
    await make_person(tenant, first_order_at=datetime(2024, 3, 2, 15, 0, tzinfo=UTC))
    definition = JourneyDefinition.model_validate(
        {"trigger": {"type": "first_order_anniversary", "days_before": 0}, "steps": GRANT}
    )
    # when
    result = await dry_run(
        tenant_id=tenant.id, definition=definition, days=3, now=datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
    )
    # then
    assert (result.triggered, result.entered) == (1, 1)


async def test_audience_conditions_and_segment_condition_checks(db: None) -> None:
    """An audience condition keeps repeat buyers only; a branch on a segment condition sends the VIPs
    (tag vip, as they are now) to the end and the others on to the text."""
    # given
    tenant = await make_store()
    repeat = await make_person(tenant, orders_count=2, tags=["vip"])
    again = await make_person(tenant, orders_count=3)
    once = await make_person(tenant, orders_count=1)
    for customer in (repeat, again, once):
        await make_purchase(tenant, customer, at=NOW - 2 * DAY)
    definition = JourneyDefinition.model_validate(
        {
            "trigger": {"type": "event", "event": "order.completed"},
            "conditions": [
                {"type": "audience", "condition": {"field": "orders_count", "op": "gte", "value": 2}}
            ],
            "steps": [
                {
                    "id": "vip",
                    "type": "branch",
                    "if": {
                        "type": "matches",
                        "condition": {"field": "tags", "op": "has_any", "value": ["vip"]},
                    },
                    "then": "end",
                },
                {"id": "thanks", "type": "send_sms", "template": "{first_name}، ممنون"},
            ],
        }
    )
    # when
    result = await dry_run(tenant_id=tenant.id, definition=definition, days=7, now=NOW)
    # then
    assert (result.triggered, result.entered, result.left_out["conditions"]) == (3, 2, 1)
    steps = {step.step_id: step for step in result.steps}
    assert (steps["vip"].reached, steps["thanks"].reached, steps["thanks"].messages) == (2, 1, 1)
    assert any("as they are now" in note for note in result.notes)
