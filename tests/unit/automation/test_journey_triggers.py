"""Triggers from events, through the real processing pipeline: an order created, completed, refunded
(partly) or cancelled, a customer created or updated, a segment entered or left, and the nth order —
each starting exactly the journeys that listen for it, once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tortoise.transactions import in_transaction

from domain.automation.models import Automation, AutomationRun
from domain.events.processing import process_pending
from domain.events.service import store_events
from domain.segments import service as segments
from tests.support.automation import NOW, make_tenant
from tests.support.journeys import make_journey

_events = iter(range(1, 10_000))


def order_event(
    order: str, status: str, *, customer: str = "57", at: int = 0, total: str = "1000000"
) -> dict[str, Any]:
    return {
        "id": f"e{next(_events)}",
        "type": "order.updated",
        "occurred_at": (NOW - timedelta(hours=10) + timedelta(minutes=at)).isoformat(),
        "data": {
            "external_id": order,
            "status": status,
            "currency": "IRT",
            "total": total,
            "shipping_total": "0",
            "customer": {"external_id": customer, "phone": f"0912{int(customer):07d}", "first_name": "سارا"},
        },
    }


def refund_event(order: str, refund: str, amount: str, *, at: int = 30) -> dict[str, Any]:
    return {
        "id": f"e{next(_events)}",
        "type": "order.refunded",
        "occurred_at": (NOW - timedelta(hours=10) + timedelta(minutes=at)).isoformat(),
        "data": {"order_external_id": order, "refund_id": refund, "amount": amount, "currency": "IRT"},
    }


def customer_event(customer: str, *, first_name: str, at: int = 0) -> dict[str, Any]:
    return {
        "id": f"e{next(_events)}",
        "type": "customer.updated",
        "occurred_at": (NOW - timedelta(hours=10) + timedelta(minutes=at)).isoformat(),
        "data": {"external_id": customer, "phone": f"0912{int(customer):07d}", "first_name": first_name},
    }


def tag_journey(trigger: dict[str, Any], tag: str, **changes: Any) -> dict[str, Any]:
    return {"trigger": trigger, "steps": [{"type": "add_tag", "tag": tag}], **changes}


async def process(tenant_id: Any, *events: dict[str, Any]) -> list[Any]:
    await store_events(tenant_id=tenant_id, source="api", raw_events=list(events))
    report = await process_pending(tenant_id=tenant_id, now=NOW)
    assert report.failed == 0
    return report.created


async def keys(journey: Automation) -> list[str]:
    return sorted(
        await AutomationRun.filter(automation_id=journey.id).values_list("enrolment_key", flat=True)
    )


async def test_each_order_event_starts_the_journeys_listening_for_it_once(db: None) -> None:
    """A new order starts order.created journeys; completing it order.completed ones; a partial refund
    order.refunded ones (once per order, though refunded twice); a repeated event starts nothing."""
    # given
    tenant = await make_tenant()
    created = await make_journey(tenant, tag_journey({"type": "event", "event": "order.created"}, "c"))
    completed = await make_journey(tenant, tag_journey({"type": "event", "event": "order.completed"}, "d"))
    refunded = await make_journey(tenant, tag_journey({"type": "event", "event": "order.refunded"}, "r"))
    cancelled = await make_journey(tenant, tag_journey({"type": "event", "event": "order.cancelled"}, "x"))
    placed = order_event("1042", "processing")
    # when
    await process(tenant.id, placed)
    await process(tenant.id, placed | {"id": "again"})
    await process(tenant.id, order_event("1042", "completed", at=5))
    await process(tenant.id, refund_event("1042", "r1", "100000"), refund_event("1042", "r2", "50000", at=31))
    await process(tenant.id, refund_event("1042", "r1", "100000") | {"id": "r1-again"})
    # then
    [order_key] = await keys(created)
    assert order_key.startswith("order:")
    assert await keys(completed) == [order_key]
    assert await keys(refunded) == [order_key]
    assert await keys(cancelled) == []
    facts = (await AutomationRun.get(automation_id=refunded.id)).context["facts"]
    assert (facts["trigger"], facts["refund_id"], facts["amount"], facts["fully"]) == (
        "order.refunded",
        "r1",
        100_000,
        False,
    )


async def test_a_cancelled_order_starts_cancellation_journeys_and_ends_its_order_runs(db: None) -> None:
    """Cancelling starts order.cancelled journeys and exits the order's open runs (order_cancelled)."""
    # given
    tenant = await make_tenant()
    waiting = await make_journey(
        tenant,
        {
            "trigger": {"type": "event", "event": "order.created"},
            "steps": [{"type": "wait", "duration": {"days": 1}}, {"type": "add_tag", "tag": "late"}],
        },
    )
    cancelled = await make_journey(tenant, tag_journey({"type": "event", "event": "order.cancelled"}, "x"))
    await process(tenant.id, order_event("7", "pending"))
    # when
    await process(tenant.id, order_event("7", "cancelled", at=10))
    # then
    run = await AutomationRun.get(automation_id=waiting.id)
    assert (run.state, run.exit_reason) == ("exited", "order_cancelled")
    assert len(await keys(cancelled)) == 1


async def test_customers_created_and_updated_start_their_journeys(db: None) -> None:
    """A new customer starts sign-up journeys once; a change to a known one starts update journeys
    (within their entry rule: once a day here)."""
    # given
    tenant = await make_tenant()
    signup = await make_journey(tenant, tag_journey({"type": "event", "event": "customer.created"}, "new"))
    updated = await make_journey(
        tenant,
        tag_journey(
            {"type": "event", "event": "customer.updated"},
            "changed",
            entry={"mode": "once_per_days", "days": 1},
        ),
    )
    # when
    await process(tenant.id, customer_event("9", first_name="Sara"))
    await process(tenant.id, customer_event("9", first_name="Sara", at=1))
    await process(tenant.id, customer_event("9", first_name="Sarah", at=2))
    # then
    assert await keys(signup) == ["signup"]
    assert len(await keys(updated)) == 1


async def test_the_nth_order_journey_starts_on_that_completed_order_only(db: None) -> None:
    """A 'second order' journey starts when the customer's second order completes, not the first
    or third."""
    # given
    tenant = await make_tenant()
    second = await make_journey(tenant, tag_journey({"type": "nth_order", "n": 2}, "second"))
    # when
    for index, order in enumerate(("a1", "a2", "a3")):
        await process(tenant.id, order_event(order, "completed", at=index * 10))
    # then
    runs = await AutomationRun.filter(automation_id=second.id).prefetch_related("order")
    assert [run.order.external_id for run in runs] == ["a2"]


async def test_entering_and_leaving_a_segment_start_their_journeys(db: None) -> None:
    """A customer entering 'big spenders' starts its entered journey; a journey on another segment or
    on leaving does not start."""
    # given
    tenant = await make_tenant()
    async with in_transaction():
        big = await segments.create(
            tenant_id=tenant.id,
            name="Big spenders",
            definition={"version": 1, "match": {"field": "total_spent", "op": "gte", "value": 500_000}},
            now=NOW,
        )
        other = await segments.create(tenant_id=tenant.id, name="Other", definition=None, now=NOW)
    entered = await make_journey(
        tenant, tag_journey({"type": "segment", "event": "entered", "segment_id": str(big.id)}, "big")
    )
    elsewhere = await make_journey(
        tenant, tag_journey({"type": "segment", "event": "entered", "segment_id": str(other.id)}, "o")
    )
    left = await make_journey(
        tenant, tag_journey({"type": "segment", "event": "left", "segment_id": str(big.id)}, "gone")
    )
    # when
    created = await process(tenant.id, order_event("b1", "completed"))
    # then
    assert len(await keys(entered)) == 1
    assert await keys(elsewhere) == await keys(left) == []
    assert len(created) == 1
