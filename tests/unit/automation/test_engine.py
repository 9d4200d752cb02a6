"""The engine: enrolment by domain events, steps carried out once, cashback reversed with the order."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from tortoise.transactions import in_transaction

from domain.automation import engine
from domain.automation import service as automations
from domain.automation.models import Automation, AutomationRun
from domain.coupons.models import CouponTemplate
from domain.events.domain_events import OrderCompleted
from domain.events.processing import process_pending
from domain.events.service import store_events
from domain.incentives import ledger
from domain.incentives.models import CreditEntry
from domain.messaging.models import OutboundMessage
from tests.support.automation import (
    CASHBACK_AND_SMS,
    NOW,
    definition,
    make_automation,
    make_customer,
    make_order,
    make_tenant,
)
from tests.support.coupons import make_template
from tests.support.journeys import outcomes

WEEK = timedelta(days=7)


def completed(order_id: UUID, tenant_id: UUID, customer_id: UUID | None) -> OrderCompleted:
    return OrderCompleted(tenant_id=tenant_id, order_id=order_id, customer_id=customer_id, occurred_at=NOW)


async def enrol(event: OrderCompleted) -> list[engine.EnrolledRun]:
    async with in_transaction():
        return await engine.handle([event], now=NOW)


async def test_a_repeated_event_enrols_the_customer_once(db: None) -> None:
    """The second OrderCompleted for one order finds the run and creates nothing."""
    # given
    tenant = await make_tenant()
    automation = await make_automation(tenant)
    customer = await make_customer(tenant)
    order = await make_order(tenant, customer)
    event = completed(order.id, tenant.id, customer.id)
    # when
    first = await enrol(event)
    second = await enrol(event)
    # then
    assert len(first) == 1 and second == []
    run = await AutomationRun.get(automation_id=automation.id)
    assert (run.state, run.current_step_id, run.due_at, run.enrolment_key, run.automation_version) == (
        "pending",
        "s1",
        NOW,
        f"order:{order.id}",
        1,
    )
    assert (await Automation.get(id=automation.id)).enrolled_count == 1


async def test_paused_automations_unmet_conditions_and_guests_enrol_nobody(db: None) -> None:
    """Only active automations whose conditions the order meets enrol, and only known customers."""
    # given
    tenant = await make_tenant()
    paused = await make_automation(tenant, name="Paused")
    await automations.pause(tenant_id=tenant.id, automation_id=paused.id, now=NOW)
    await make_automation(tenant, name="Draft", active=False)
    await make_automation(tenant, name="Active")  # needs a total of 500,000 or more
    customer = await make_customer(tenant)
    small = await make_order(tenant, customer, total=499_999)
    guest = await make_order(tenant, None)
    # when
    too_small = await enrol(completed(small.id, tenant.id, customer.id))
    no_customer = await enrol(completed(guest.id, tenant.id, None))
    # then
    assert too_small == no_customer == []
    assert await AutomationRun.all().count() == 0


async def test_advancing_twice_grants_once_and_queues_one_message(db: None) -> None:
    """Steps run in order, once: one credit entry, one outbound message, then the run is completed."""
    # given
    tenant = await make_tenant(name="Ketab")
    await make_automation(tenant)
    customer = await make_customer(tenant, first_name="سارا")
    order = await make_order(tenant, customer, total=1_000_000, shipping_total=50_000)
    [run] = await enrol(completed(order.id, tenant.id, customer.id))
    # when
    first = await engine.advance(run_id=run.id, now=NOW)
    second = await engine.advance(run_id=run.id, now=NOW)
    # then
    assert (first.run.state, first.run.current_step, first.run.finished_at) == ("completed", 2, NOW)
    assert second.message_ids == ()
    [grant] = await CreditEntry.filter(tenant_id=tenant.id)
    assert (grant.amount, grant.available_at, grant.order_id) == (95_000, NOW + WEEK, order.id)
    assert grant.idempotency_key == f"run:{run.id}:step:s1"
    [message] = await OutboundMessage.filter(tenant_id=tenant.id)
    assert first.message_ids == (message.id,)
    assert (message.status, message.origin_key) == ("queued", f"run:{run.id}:step:s2")
    assert await outcomes(run.id) == [("s1", "done"), ("s2", "done")]
    assert message.body == "سارا جان، ۹۵٬۰۰۰ تومان اعتبار در Ketab. موجودی: ۹۵٬۰۰۰ تومان"


async def test_editing_an_automation_leaves_runs_in_flight_alone(db: None) -> None:
    """A run keeps the version and definition it was enrolled with."""
    # given
    tenant = await make_tenant()
    automation = await make_automation(tenant)
    customer = await make_customer(tenant)
    order = await make_order(tenant, customer, total=1_000_000, shipping_total=0)
    [run] = await enrol(completed(order.id, tenant.id, customer.id))
    richer = {**CASHBACK_AND_SMS, "steps": [{"type": "grant_cashback", "percent": "50"}]}
    # when
    await automations.update(tenant_id=tenant.id, automation_id=automation.id, definition=definition(richer))
    result = await engine.advance(run_id=run.id, now=NOW)
    # then
    assert (result.run.automation_version, result.run.state) == (1, "completed")
    assert await ledger.balances(tenant_id=tenant.id, customer_id=customer.id, now=NOW + WEEK) == (
        ledger.Balances(available=100_000, pending=0)
    )


async def test_a_customer_without_a_phone_gets_the_credit_and_a_note(db: None) -> None:
    """The SMS step is skipped with a note; the run still completes."""
    # given
    tenant = await make_tenant()
    await make_automation(tenant)
    customer = await make_customer(tenant, phone=None)
    order = await make_order(tenant, customer)
    [run] = await enrol(completed(order.id, tenant.id, customer.id))
    # when
    result = await engine.advance(run_id=run.id, now=NOW)
    # then
    assert result.run.state == "completed"
    assert result.run.context["notes"] == ["s2: The customer has no phone."]
    assert await outcomes(run.id) == [("s1", "done"), ("s2", "skipped")]
    assert await OutboundMessage.all().count() == 0
    assert await CreditEntry.all().count() == 1


async def test_a_failing_step_fails_the_run_and_keeps_earlier_steps(db: None) -> None:
    """A DomainError in a step (a coupon template archived since the journey was saved) marks the
    run failed with the error and a failed step event; the grant before it stays."""
    # given
    tenant = await make_tenant()
    template = await make_template(tenant)
    raw = {
        **CASHBACK_AND_SMS,
        "steps": [CASHBACK_AND_SMS["steps"][0], {"type": "issue_coupon", "template_id": str(template.id)}],
    }
    await make_automation(tenant, raw)
    await CouponTemplate.filter(id=template.id).update(archived_at=NOW)
    customer = await make_customer(tenant)
    order = await make_order(tenant, customer)
    [run] = await enrol(completed(order.id, tenant.id, customer.id))
    # when
    result = await engine.advance(run_id=run.id, now=NOW)
    # then
    assert (result.run.state, result.run.current_step_id) == ("failed", "s2")
    assert result.run.last_error is not None and "TEMPLATE_ARCHIVED" in result.run.last_error
    assert await CreditEntry.all().count() == 1
    assert await outcomes(run.id) == [("s1", "done"), ("s2", "failed")]


async def test_an_invalid_phone_skips_the_message_and_the_run_completes(db: None) -> None:
    """A phone the policy cannot send to is the customer's data, not the journey's fault: skipped."""
    # given
    tenant = await make_tenant()
    await make_automation(tenant)
    customer = await make_customer(tenant, phone="+98123")  # not a valid number
    order = await make_order(tenant, customer)
    [run] = await enrol(completed(order.id, tenant.id, customer.id))
    # when
    result = await engine.advance(run_id=run.id, now=NOW)
    # then
    assert result.run.state == "completed"
    assert await outcomes(run.id) == [("s1", "done"), ("s2", "skipped")]
    assert await OutboundMessage.all().count() == 0


async def test_a_reversed_order_takes_its_cashback_back_and_exits_open_runs(db: None) -> None:
    """Refunding an order in full reverses the cashback it earned and exits a run not yet advanced,
    whichever handlers processing runs with (the reversal belongs to processing, not a handler)."""
    # given
    tenant = await make_tenant()
    await make_automation(tenant)
    customer = await make_customer(tenant)
    advanced_order = await make_order(tenant, customer)
    waiting_order = await make_order(tenant, customer)
    [advanced] = await enrol(completed(advanced_order.id, tenant.id, customer.id))
    [waiting] = await enrol(completed(waiting_order.id, tenant.id, customer.id))
    await engine.advance(run_id=advanced.id, now=NOW)
    # when: the store reports both orders refunded in full
    await store_events(
        tenant_id=tenant.id,
        source="api",
        raw_events=[
            {
                "id": f"refund-{order.external_id}",
                "type": "order.refunded",
                "occurred_at": NOW.isoformat(),
                "data": {
                    "order_external_id": order.external_id,
                    "refund_id": f"r-{order.external_id}",
                    "amount": str(order.total),
                    "currency": tenant.currency,
                },
            }
            for order in (advanced_order, waiting_order)
        ],
    )
    report = await process_pending(tenant_id=tenant.id, now=NOW)
    after_exit = await engine.advance(run_id=waiting.id, now=NOW)
    # then
    assert (report.processed, report.failed) == (2, 0)
    assert after_exit.run.state == "exited"
    assert "Order refunded." in after_exit.run.context["notes"]
    assert await ledger.balances(tenant_id=tenant.id, customer_id=customer.id, now=NOW + WEEK) == (
        ledger.Balances(available=0, pending=0)
    )
    assert await CreditEntry.filter(kind="reversal").count() == 1
