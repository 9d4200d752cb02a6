"""Journey steps, one run at a time through the poller: what each does to the customer, the variables
a message may use, branches and goals, waits, and that every effect happens once per run and step."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from domain.automation.models import AutomationRun, AutomationStepEvent
from domain.commerce.models import Order
from domain.coupons.models import Coupon, CouponRedemption
from domain.customers.models import Customer
from domain.incentives.models import CreditEntry
from domain.messaging.models import OutboundMessage
from domain.segments import service as segments
from tests.support.automation import NOW, make_customer, make_order, make_tenant
from tests.support.coupons import make_coupon, make_template
from tests.support.journeys import advance_all, enrol_customers, make_journey, outcomes, run_of

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def signup(*steps: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {"trigger": {"type": "event", "event": "customer.created"}, "steps": list(steps), **changes}


async def test_a_coupon_is_issued_once_and_its_code_value_and_expiry_are_in_the_message(db: None) -> None:
    """issue_coupon gives the customer one code (origin run:<id>:step:<id>); the SMS says the code,
    its value and expiry in the store's calendar, the days since the last order and the link;
    advancing again issues and sends nothing more."""
    # given
    tenant = await make_tenant()
    template = await make_template(tenant, valid_days=7)
    journey = await make_journey(
        tenant,
        signup(
            {"id": "code", "type": "issue_coupon", "template_id": str(template.id)},
            {
                "id": "tell",
                "type": "send_sms",
                "purpose": "marketing",
                "link": "https://ketab.example/sale",
                "template": "{first_name}: {coupon_value} با {coupon_code} تا {coupon_expiry}، "
                "{days_since_last_order} روز، {link}",
            },
        ),
    )
    customer = await make_customer(tenant, first_name="سارا")
    await Customer.filter(id=customer.id).update(last_order_at=NOW - 60 * DAY)
    [run] = await enrol_customers(journey, [customer])
    # when
    first = await advance_all(tenant, now=NOW)
    await AutomationRun.filter(id=run.id).update(state="pending", current_step_id="code")  # rewound
    await advance_all(tenant, now=NOW)
    # then
    [coupon] = await Coupon.filter(tenant_id=tenant.id)
    assert (coupon.customer_id, coupon.origin_key) == (customer.id, f"run:{run.id}:step:code")  # type: ignore[attr-defined]
    [message] = await OutboundMessage.filter(tenant_id=tenant.id)
    assert first.messages == [message.id]
    assert message.body.startswith(
        f"سارا: ۱۵٪ با {coupon.code} تا ۸ آذر ۱۴۰۵، ۶۰ روز، https://ketab.example/sale"
    )
    events = await AutomationStepEvent.filter(run_id=run.id).order_by("id")
    assert [(e.step_id, e.outcome, e.coupon_id, e.message_id) for e in events[:2]] == [
        ("code", "done", coupon.id, None),
        ("tell", "done", None, message.id),
    ]


async def test_credit_is_granted_with_its_expiry_and_named_in_the_message(db: None) -> None:
    """grant_credit writes one CREDIT entry expiring after the days given; {credit} says the amount."""
    # given
    tenant = await make_tenant()
    journey = await make_journey(
        tenant,
        signup(
            {"type": "grant_credit", "amount": 50_000, "expires_after_days": 30},
            {"type": "send_sms", "template": "{credit} هدیه در {store}؛ موجودی {balance}"},
        ),
    )
    customer = await make_customer(tenant)
    [run] = await enrol_customers(journey, [customer])
    # when
    await advance_all(tenant, now=NOW)
    await advance_all(tenant, now=NOW + HOUR)
    # then
    [entry] = await CreditEntry.filter(tenant_id=tenant.id)
    assert (entry.kind, entry.amount, entry.expires_at, entry.idempotency_key) == (
        "credit",
        50_000,
        NOW + 30 * DAY,
        f"run:{run.id}:step:s1",
    )
    [message] = await OutboundMessage.filter(tenant_id=tenant.id)
    assert message.body == "۵۰٬۰۰۰ تومان هدیه در Ketab؛ موجودی ۵۰٬۰۰۰ تومان"
    assert (await AutomationStepEvent.get(run_id=run.id, step_id="s1")).credit_amount == 50_000


async def test_a_wait_puts_the_run_to_sleep_until_its_end(db: None) -> None:
    """After a 3-day wait the run is waiting, due then; the poller leaves it alone before and carries
    it on after."""
    # given
    tenant = await make_tenant()
    journey = await make_journey(
        tenant,
        signup({"id": "nap", "type": "wait", "duration": {"days": 3}}, {"type": "add_tag", "tag": "rested"}),
    )
    customer = await make_customer(tenant)
    await enrol_customers(journey, [customer])
    # when
    await advance_all(tenant, now=NOW)
    asleep = await run_of(journey, customer)
    early = await advance_all(tenant, now=NOW + 3 * DAY - timedelta(seconds=1))
    await advance_all(tenant, now=NOW + 3 * DAY)
    # then
    assert (asleep.state, asleep.due_at, asleep.current_step_id) == ("waiting", NOW + 3 * DAY, "s2")
    assert early.taken == 0
    done = await run_of(journey, customer)
    assert done.state == "completed"
    assert (await Customer.get(id=customer.id)).tags == ["rested"]
    assert await outcomes(done.id) == [("nap", "waiting"), ("s2", "done")]


async def test_a_goal_exits_the_run_before_the_next_step(db: None) -> None:
    """An exit_if 'ordered since enrolment' anywhere in the journey is checked before every step: an
    order during the wait ends the run with reason goal, and the reminder is never sent."""
    # given
    tenant = await make_tenant()
    journey = await make_journey(
        tenant,
        signup(
            {"type": "send_sms", "template": "اول"},
            {"type": "wait", "duration": {"days": 3}},
            {"id": "remind", "type": "send_sms", "template": "یادآوری"},
            {"id": "bought", "type": "exit_if", "if": {"type": "ordered_since_enrolment"}},
        ),
    )
    customer = await make_customer(tenant)
    await enrol_customers(journey, [customer])
    await advance_all(tenant, now=NOW)
    order = await make_order(tenant, customer)
    await Order.filter(id=order.id).update(placed_at=NOW + DAY)
    # when
    await advance_all(tenant, now=NOW + 3 * DAY)
    # then
    run = await run_of(journey, customer)
    assert (run.state, run.exit_reason, run.current_step_id) == ("exited", "goal", None)
    assert [m.body for m in await OutboundMessage.filter(tenant_id=tenant.id)] == ["اول"]
    assert (await outcomes(run.id))[-1] == ("remind", "exited")


async def test_a_branch_goes_on_by_segment_membership_and_a_coupon_not_redeemed(db: None) -> None:
    """A VIP goes to the 'vip' step; a redeemed_coupon check of an unused code takes the else path,
    here to the end of the run."""
    # given
    tenant = await make_tenant()
    template = await make_template(tenant)
    vips = await segments.create(tenant_id=tenant.id, name="VIP", definition=None, now=NOW)
    journey = await make_journey(
        tenant,
        signup(
            {"type": "issue_coupon", "template_id": str(template.id)},
            {"type": "branch", "if": {"type": "in_segment", "segment_id": str(vips.id)}, "then": "vip"},
            {"type": "add_tag", "tag": "regular"},
            {"id": "vip", "type": "add_tag", "tag": "vip"},
            {"type": "branch", "if": {"type": "redeemed_coupon"}, "else": "end"},
            {"type": "add_tag", "tag": "redeemed"},
        ),
    )
    vip, regular = await make_customer(tenant), await make_customer(tenant)
    await segments.add_members(tenant_id=tenant.id, segment_id=vips.id, customer_ids=[vip.id], now=NOW)
    await enrol_customers(journey, [vip, regular])
    # when
    await advance_all(tenant, now=NOW)
    # then
    assert (await Customer.get(id=vip.id)).tags == ["vip"]
    assert (await Customer.get(id=regular.id)).tags == ["regular", "vip"]
    run = await run_of(journey, vip)
    assert run.state == "completed"
    assert await outcomes(run.id) == [("s1", "done"), ("s2", "done"), ("vip", "done"), ("s5", "done")]


async def test_tags_are_a_set_and_a_customer_carries_at_most_100(db: None) -> None:
    """Adding a tag the customer has, or removing one they lack, changes nothing (skipped); a 101st
    tag is skipped with the reason."""
    # given
    tenant = await make_tenant()
    journey = await make_journey(
        tenant,
        signup(
            {"type": "add_tag", "tag": "vip"},
            {"type": "add_tag", "tag": "vip"},
            {"type": "remove_tag", "tag": "ghost"},
            {"type": "remove_tag", "tag": "old"},
        ),
    )
    full = await make_journey(tenant, signup({"type": "add_tag", "tag": "one-more"}))
    customer = await make_customer(tenant)
    crowded = await make_customer(tenant)
    await Customer.filter(id=customer.id).update(tags=["old"])
    await Customer.filter(id=crowded.id).update(tags=[f"t{i}" for i in range(100)])
    await enrol_customers(journey, [customer])
    [crowded_run] = await enrol_customers(full, [crowded])
    # when
    await advance_all(tenant, now=NOW)
    # then
    assert (await Customer.get(id=customer.id)).tags == ["vip"]
    run = await run_of(journey, customer)
    assert await outcomes(run.id) == [("s1", "done"), ("s2", "skipped"), ("s3", "skipped"), ("s4", "done")]
    assert len((await Customer.get(id=crowded.id)).tags) == 100
    assert await outcomes(crowded_run.id) == [("s1", "skipped")]


async def test_a_winback_run_ends_as_soon_as_the_customer_orders_again(db: None) -> None:
    """A lapse run remembers the purchase it counts from; a newer order ends it (goal) before the next
    step, whatever the journey's own goals."""
    # given
    tenant = await make_tenant()
    journey = await make_journey(
        tenant,
        {
            "trigger": {"type": "days_since_last_order", "min_days": 60, "max_days": 90},
            "steps": [{"type": "wait", "duration": {"days": 1}}, {"type": "send_sms", "template": "برگرد"}],
        },
    )
    customer = await make_customer(tenant)
    lapsed_at = NOW - 60 * DAY
    await Customer.filter(id=customer.id).update(last_order_at=lapsed_at)
    await enrol_customers(
        journey,
        [customer],
        key="lapse:x",
        trigger="days_since_last_order",
        last_order_at=lapsed_at.isoformat(),
    )
    await advance_all(tenant, now=NOW)
    await Customer.filter(id=customer.id).update(last_order_at=NOW + HOUR)
    # when
    await advance_all(tenant, now=NOW + DAY)
    # then
    run = await run_of(journey, customer)
    assert (run.state, run.exit_reason) == ("exited", "goal")
    assert await OutboundMessage.filter(tenant_id=tenant.id).count() == 0


async def test_a_message_without_a_phone_or_with_a_missing_value_is_skipped_and_the_run_goes_on(
    db: None,
) -> None:
    """No phone: skipped; {days_since_last_order} for a customer who never ordered: skipped with the
    reason; the tag after them is still added."""
    # given
    tenant = await make_tenant()
    journey = await make_journey(
        tenant,
        signup(
            {"type": "send_sms", "template": "سلام"},
            {"type": "send_sms", "template": "{days_since_last_order} روز"},
            {"type": "add_tag", "tag": "done"},
        ),
    )
    phoneless, new = await make_customer(tenant, phone=None), await make_customer(tenant)
    await enrol_customers(journey, [phoneless, new])
    # when
    await advance_all(tenant, now=NOW)
    # then
    for customer in (phoneless, new):
        run = await run_of(journey, customer)
        assert run.state == "completed"
    assert await outcomes((await run_of(journey, new)).id) == [
        ("s1", "done"),
        ("s2", "skipped"),
        ("s3", "done"),
    ]
    assert "MISSING_VALUE" in (await run_of(journey, new)).context["notes"][0]


async def test_a_coupon_expiring_journey_reminds_only_those_who_have_not_used_the_code(db: None) -> None:
    """The trigger's coupon is the run's: its code and expiry are in the reminder, and a customer whose
    code was redeemed takes the branch to the end instead."""
    # given
    tenant = await make_tenant()
    template = await make_template(tenant, valid_days=7)
    journey = await make_journey(
        tenant,
        {
            "trigger": {"type": "coupon_expiring", "days_before": 2},
            "steps": [
                {"type": "branch", "if": {"type": "redeemed_coupon"}, "then": "end"},
                {"type": "send_sms", "template": "کد {coupon_code} تا {coupon_expiry}"},
            ],
        },
    )
    used, unused = await make_customer(tenant), await make_customer(tenant)
    for person in (used, unused):
        coupon = await make_coupon(template, customer_id=person.id)
        await enrol_customers(
            journey,
            [person],
            key=f"coupon-expiry:{coupon.id}",
            trigger="coupon_expiring",
            coupon_id=str(coupon.id),
            expires_at=coupon.expires_at.isoformat() if coupon.expires_at else None,
        )
        if person is used:
            order = await make_order(tenant, person)
            await CouponRedemption.create(
                tenant_id=tenant.id,
                coupon_id=coupon.id,
                order_id=order.id,
                customer_id=person.id,
                redeemed_at=NOW,
            )
        else:
            unused_code = coupon.code
    # when
    await advance_all(tenant, now=NOW)
    # then
    [message] = await OutboundMessage.filter(tenant_id=tenant.id)
    assert message.customer_id == unused.id  # type: ignore[attr-defined]
    assert message.body == f"کد {unused_code} تا ۸ آذر ۱۴۰۵"
    assert await outcomes((await run_of(journey, used)).id) == [("s1", "done")]
