"""The issue's journey, as an owner builds it and a store lives it: "60 days after the last order, text
a 15 % code valid for 7 days; 3 days later, if they have not ordered, remind them; stop as soon as they
order".

The journey is saved through GraphQL and activated; customers enter as the daily pass enrols them
(``domain.automation.enrolment.enrol``); the clock is moved and the poller run as the worker would;
the order that ends one run arrives as a real store event through processing.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.transactions import in_transaction

from domain.automation.enrolment import Candidate, enrol
from domain.automation.models import Automation, AutomationRun
from domain.coupons.models import Coupon
from domain.customers.models import Customer
from domain.events.processing import process_pending
from domain.events.service import store_events
from domain.messaging.models import OutboundMessage
from tests.support.api import ApiClient
from tests.support.coupons import make_template
from tests.support.factories import make_owner
from tests.support.journeys import advance_all, outcomes, winback

CREATE = """
mutation($input: AutomationInput!) {
  createAutomation(input: $input) { automation { id trigger version } errors { code field message } }
}
"""
ACTIVATE = "mutation($id: ID!) { activateAutomation(id: $id) { automation { status } errors { code } } }"
RUN = """
query($id: ID!) {
  automationRun(id: $id) { state exitReason currentStepId stepEvents { stepId outcome couponId messageId } }
}
"""

TEHRAN_NOON = datetime(2026, 11, 22, 8, 30, tzinfo=UTC)  # 12:00 in Tehran
DAY = timedelta(days=1)


async def customer(tenant_id: Any, name: str, number: int, *, last_order_days: int) -> Customer:
    return await Customer.create(
        tenant_id=tenant_id,
        external_id=f"c-{name}",
        phone=f"+98912000{number:04d}",
        first_name=name,
        last_order_at=TEHRAN_NOON - last_order_days * DAY,
        orders_count=1,
    )


def lapse(person: Customer) -> Candidate:
    """What the daily pass hands the engine for a customer whose last order is 60 days old."""
    assert person.last_order_at is not None
    return Candidate(
        person.id,
        f"lapse:{person.last_order_at.date().isoformat()}",
        facts={"trigger": "days_since_last_order", "last_order_at": person.last_order_at.isoformat()},
    )


async def test_the_winback_journey_texts_a_code_reminds_the_silent_and_stops_for_the_buyer(
    client: ApiClient,
) -> None:
    """Both lapsed customers get one code (15 %, expiring 7 days later) in an SMS at noon; Reza
    orders on day 2 and leaves the journey (goal) without a reminder; Sara hears again on day 3 with
    the same code. Nothing is sent twice however often the poller runs."""
    # given: the owner saves and activates the journey
    owner = await make_owner(store="Dobare")
    tenant_id = owner.tenant.id
    template = await make_template(tenant_id, kind="percent", value=15, valid_days=7)
    created = (
        await client.graphql(
            CREATE, {"input": {"name": "Win-back", "definition": winback(template.id)}}, token=owner.token
        )
    ).ok()
    assert created["createAutomation"]["errors"] == []
    journey_id = created["createAutomation"]["automation"]["id"]
    activated = (await client.graphql(ACTIVATE, {"id": journey_id}, token=owner.token)).ok()
    assert activated["activateAutomation"]["automation"]["status"] == "ACTIVE"
    journey = await Automation.get(id=journey_id)
    sara = await customer(tenant_id, "Sara", 1, last_order_days=60)
    reza = await customer(tenant_id, "Reza", 2, last_order_days=60)
    # when: the daily pass enrols them at noon and the poller runs
    async with in_transaction():
        runs = await enrol(
            tenant_id=tenant_id, automation=journey, candidates=[lapse(sara), lapse(reza)], now=TEHRAN_NOON
        )
    await advance_all(owner.tenant, now=TEHRAN_NOON)
    await advance_all(owner.tenant, now=TEHRAN_NOON + timedelta(minutes=5))
    first_messages = await OutboundMessage.filter(tenant_id=tenant_id).order_by("created_at")
    # Reza orders on day 2, through the store's events
    await store_events(
        tenant_id=tenant_id,
        source="api",
        raw_events=[
            {
                "id": "reza-order",
                "type": "order.updated",
                "occurred_at": (TEHRAN_NOON + 2 * DAY).isoformat(),
                "data": {
                    "external_id": "9001",
                    "status": "processing",
                    "currency": owner.tenant.currency,
                    "total": "800000",
                    "customer": {"external_id": "c-Reza", "phone": "09120000002"},
                },
            }
        ],
    )
    assert (await process_pending(tenant_id=tenant_id, now=TEHRAN_NOON + 2 * DAY)).failed == 0
    await advance_all(owner.tenant, now=TEHRAN_NOON + 3 * DAY)
    await advance_all(owner.tenant, now=TEHRAN_NOON + 4 * DAY)
    # then: one code each, 15 %, valid 7 days from issue
    assert len(runs) == 2
    coupons = {c.customer_id: c for c in await Coupon.filter(tenant_id=tenant_id)}  # type: ignore[attr-defined]
    assert set(coupons) == {sara.id, reza.id}
    assert {c.expires_at for c in coupons.values()} == {TEHRAN_NOON + 7 * DAY}
    # the first SMS: the code, 15 %, its expiry in the store's calendar, marketing footer, at noon
    assert len(first_messages) == 2
    sara_code = coupons[sara.id].code
    [offer] = [m for m in first_messages if m.customer_id == sara.id]  # type: ignore[attr-defined]
    assert offer.body.startswith(f"Sara، ۱۵٪ تخفیف با کد {sara_code} تا ۸ آذر ۱۴۰۵")
    assert offer.body.endswith("لغو۱۱")
    assert offer.status == "queued" and offer.send_after in (None, TEHRAN_NOON)
    # Reza ordered: no reminder, his run exited by the goal
    messages = await OutboundMessage.filter(tenant_id=tenant_id).order_by("created_at")
    assert [m.customer_id for m in messages].count(reza.id) == 1  # type: ignore[attr-defined]
    reza_run = await AutomationRun.get(automation_id=journey.id, customer_id=reza.id)
    assert (reza_run.state, reza_run.exit_reason) == ("exited", "goal")
    # Sara: the reminder on day 3 with the same code, and the run completed
    reminders = [m for m in messages if m.customer_id == sara.id][1:]  # type: ignore[attr-defined]
    assert [m.body.split("\n")[0] for m in reminders] == [
        f"یادآوری: کد {sara_code} تا ۸ آذر ۱۴۰۵ اعتبار دارد"
    ]
    sara_run = await AutomationRun.get(automation_id=journey.id, customer_id=sara.id)
    assert sara_run.state == "completed"
    assert await outcomes(sara_run.id) == [
        ("ordered", "done"),
        ("code", "done"),
        ("offer", "done"),
        ("pause", "waiting"),
        ("reminder", "done"),
    ]
    # the owner sees Reza's run and why it ended
    shown = (await client.graphql(RUN, {"id": str(reza_run.id)}, token=owner.token)).ok()["automationRun"]
    assert (shown["state"], shown["exitReason"], shown["currentStepId"]) == ("EXITED", "goal", None)
    assert [(e["stepId"], e["outcome"]) for e in shown["stepEvents"]][-1] == ("reminder", "EXITED")
