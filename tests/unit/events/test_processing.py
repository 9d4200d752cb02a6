"""Processing stored events into customers, orders and domain events."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from domain.commerce.models import Order, Refund
from domain.customers.models import Customer
from domain.events.domain_events import DomainEvent, OrderCompleted, OrderReversed
from domain.events.models import IngestedEvent
from domain.events.processing import process_pending
from domain.events.service import replay, store_events
from tests.support.events import NOW, order
from tests.support.factories import make_owner


class Recorder:
    def __init__(self) -> None:
        self.seen: list[DomainEvent] = []

    async def __call__(self, events: Sequence[DomainEvent], *, now: datetime) -> list[Any]:
        self.seen.extend(events)
        return []


async def test_a_guest_order_creates_a_customer_identified_by_the_normalised_phone(db: None) -> None:
    """Persian digits in the billing phone become E.164 and identify the customer; metrics follow."""
    # given
    owner = await make_owner()
    await store_events(
        tenant_id=owner.tenant.id,
        source="api",
        raw_events=[order("e-1", status="completed", at="2026-11-20T10:00:00+03:30")],
    )
    # when
    report = await process_pending(tenant_id=owner.tenant.id, now=NOW)
    # then
    assert (report.processed, report.failed) == (1, 0)
    customer = await Customer.get(tenant_id=owner.tenant.id)
    assert customer.phone == "+989121234567"
    assert customer.first_name == "سارا"
    assert (customer.orders_count, customer.total_spent) == (1, 1000000)
    assert await IngestedEvent.filter(status="processed").count() == 1


async def test_completion_is_announced_once_and_older_events_do_not_undo_newer_ones(db: None) -> None:
    """completed → (stale processing) → completed again: one OrderCompleted, status stays completed."""
    # given
    owner = await make_owner()
    recorder = Recorder()
    events = [
        order("e-2", status="completed", at="2026-11-20T11:00:00+03:30"),
        order("e-1", status="processing", at="2026-11-20T10:00:00+03:30"),
        order("e-3", status="completed", at="2026-11-20T12:00:00+03:30"),
    ]
    # when: the older event arrives after the newer one
    for event in events:
        await store_events(tenant_id=owner.tenant.id, source="api", raw_events=[event])
        await process_pending(tenant_id=owner.tenant.id, now=NOW, handlers=[recorder])
    # then
    stored = await Order.get(tenant_id=owner.tenant.id, external_id="1042")
    assert stored.status == "completed"
    assert [type(event) for event in recorder.seen].count(OrderCompleted) == 1


async def test_a_full_refund_announces_a_reversal_and_is_recorded_once(db: None) -> None:
    """A refund of the whole total → OrderReversed('refunded'); the same refund id again changes nothing."""
    # given
    owner = await make_owner()
    recorder = Recorder()
    refund = {
        "type": "order.refunded",
        "occurred_at": "2026-11-21T10:00:00+03:30",
        "data": {"order_external_id": "1042", "refund_id": "r-1", "amount": "1000000", "currency": "IRT"},
    }
    await store_events(
        tenant_id=owner.tenant.id,
        source="api",
        raw_events=[order("e-1", status="completed", at="2026-11-20T10:00:00+03:30")],
    )
    # when
    await store_events(
        tenant_id=owner.tenant.id, source="api", raw_events=[{"id": "r-a", **refund}, {"id": "r-b", **refund}]
    )
    await process_pending(tenant_id=owner.tenant.id, now=NOW, handlers=[recorder])
    # then
    reversals = [event for event in recorder.seen if isinstance(event, OrderReversed)]
    assert [event.reason for event in reversals] == ["refunded"]
    assert await Refund.filter(tenant_id=owner.tenant.id).count() == 1
    stored = await Order.get(tenant_id=owner.tenant.id, external_id="1042")
    assert stored.refunded_total == 1000000
    customer = await Customer.get(tenant_id=owner.tenant.id)
    assert customer.total_spent == 0


async def test_a_failing_event_keeps_its_error_and_can_be_replayed(db: None) -> None:
    """A refund larger than its order fails alone with its reason; once the store corrects the order's
    total, a replay applies it."""
    # given
    owner = await make_owner()
    await store_events(
        tenant_id=owner.tenant.id,
        source="api",
        raw_events=[order("e-1", status="completed", at="2026-11-20T10:00:00+03:30")],
    )
    await process_pending(tenant_id=owner.tenant.id, now=NOW)
    refund = {
        "id": "r-a",
        "type": "order.refunded",
        "occurred_at": "2026-11-21T10:00:00+03:30",
        "data": {"order_external_id": "1042", "refund_id": "r-1", "amount": "1500000", "currency": "IRT"},
    }
    await store_events(tenant_id=owner.tenant.id, source="api", raw_events=[refund])
    first = await process_pending(tenant_id=owner.tenant.id, now=NOW)
    failed = await IngestedEvent.get(event_id="r-a")
    # when
    await store_events(
        tenant_id=owner.tenant.id,
        source="api",
        raw_events=[order("e-2", status="completed", at="2026-11-21T11:00:00+03:30", total="2000000")],
    )
    await process_pending(tenant_id=owner.tenant.id, now=NOW)
    requeued = await replay(tenant_id=owner.tenant.id, event_ids=[failed.id])
    second = await process_pending(tenant_id=owner.tenant.id, now=NOW)
    # then
    assert (first.failed, failed.status) == (1, "failed")
    assert failed.error is not None and failed.error.startswith("REFUND_EXCEEDS_ORDER")
    assert (requeued, second.processed) == (1, 1)
    assert await Refund.filter(tenant_id=owner.tenant.id).count() == 1


async def test_an_order_in_another_currency_than_the_store_fails_with_a_clear_error(db: None) -> None:
    """Amounts are never mixed across currencies: a USD order in an IRT store is refused and kept."""
    # given
    owner = await make_owner(currency="IRT")
    event = order("e-1", status="completed", at="2026-11-20T10:00:00+03:30")
    event["data"]["currency"] = "USD"
    await store_events(tenant_id=owner.tenant.id, source="api", raw_events=[event])
    # when
    await process_pending(tenant_id=owner.tenant.id, now=NOW)
    # then
    stored = await IngestedEvent.get(event_id="e-1")
    assert stored.status == "failed"
    assert "CURRENCY_MISMATCH" in (stored.error or "")
    assert await Order.all().count() == 0


async def test_one_tenant_never_processes_or_sees_another_tenants_events(db: None) -> None:
    """The same event id from two stores is two events; each store's processing touches only its own."""
    # given
    first, second = await make_owner(), await make_owner()
    event = order("e-1", status="completed", at="2026-11-20T10:00:00+03:30")
    await store_events(tenant_id=first.tenant.id, source="api", raw_events=[event])
    await store_events(tenant_id=second.tenant.id, source="api", raw_events=[event])
    # when
    report = await process_pending(tenant_id=first.tenant.id, now=NOW)
    # then
    assert report.processed == 1
    assert await IngestedEvent.filter(tenant_id=second.tenant.id, status="pending").count() == 1
    assert await Order.filter(tenant_id=second.tenant.id).count() == 0


async def test_an_order_event_that_does_not_report_credit_keeps_the_credit_already_recorded(db: None) -> None:
    """A sender that knows nothing of Revisit credit (WooCommerce's webhooks) never erases credit_used."""
    # given: the plugin reported 50,000 of credit spent on the order
    owner = await make_owner()
    with_credit = order("e-1", status="processing", at="2026-11-20T10:00:00+03:30")
    with_credit["data"]["credit_used"] = "50000"
    await store_events(tenant_id=owner.tenant.id, source="api", raw_events=[with_credit])
    await process_pending(tenant_id=owner.tenant.id, now=NOW)
    # when: a later description of the order says nothing about credit
    await store_events(
        tenant_id=owner.tenant.id,
        source="woocommerce_webhook",
        raw_events=[order("e-2", status="completed", at="2026-11-20T11:00:00+03:30")],
    )
    await process_pending(tenant_id=owner.tenant.id, now=NOW)
    # then
    stored = await Order.get(tenant_id=owner.tenant.id, external_id="1042")
    assert (stored.status, stored.credit_used) == ("completed", 50000)


async def test_workers_processing_one_store_at_once_never_create_a_customer_twice(db: None) -> None:
    """Concurrent jobs for one store take turns per event, so a sign-up and its order meet one customer."""
    # given: thirty new customers, each with a sign-up and an order
    owner = await make_owner()
    events: list[dict[str, Any]] = []
    for number in range(30):
        events.append(
            {
                "id": f"signup-{number}",
                "type": "customer.created",
                "occurred_at": f"2026-11-20T10:{number:02d}:00+03:30",
                "data": {"external_id": f"c{number}", "phone": f"09120000{number:03d}"},
            }
        )
        placed = order(
            f"o-{number}", status="processing", at="2026-11-20T10:00:00+03:30", external_id=f"c{number}"
        )
        placed["data"]["external_id"] = f"order-{number}"
        placed["data"]["billing"] = {"phone": f"09120000{number:03d}"}
        events.append(placed)
    await store_events(tenant_id=owner.tenant.id, source="api", raw_events=events)
    # when: four workers process the store's events at the same moment
    reports = await asyncio.gather(*[process_pending(tenant_id=owner.tenant.id, now=NOW) for _ in range(4)])
    # then
    assert sum(report.processed for report in reports) == len(events)
    assert sum(report.failed for report in reports) == 0
    assert await Customer.filter(tenant_id=owner.tenant.id).count() == 30
    assert await IngestedEvent.filter(tenant_id=owner.tenant.id, status="processed").count() == len(events)
