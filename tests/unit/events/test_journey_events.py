"""The domain events journeys start from, announced by processing inside its transaction:
order.created the first time an order is seen, order.refunded once per new refund (partial or full),
customer.updated for a known customer whose details changed — and the batch's moment for handlers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from domain.events.domain_events import (
    CustomerCreated,
    CustomerUpdated,
    DomainEvent,
    OrderCompleted,
    OrderCreated,
    OrderRefunded,
    OrderReversed,
)
from domain.events.processing import process_pending
from domain.events.service import store_events
from tests.support.events import NOW
from tests.support.factories import make_owner


class Recorder:
    def __init__(self) -> None:
        self.seen: list[DomainEvent] = []
        self.moments: list[datetime] = []

    async def __call__(self, events: Sequence[DomainEvent], *, now: datetime) -> list[Any]:
        self.seen.extend(events)
        self.moments.append(now)
        return []

    def of(self, kind: type) -> list[Any]:
        return [event for event in self.seen if isinstance(event, kind)]


def at(minutes: int) -> str:
    return (NOW - timedelta(hours=5) + timedelta(minutes=minutes)).isoformat()


def order(event_id: str, status: str, minutes: int) -> dict[str, Any]:
    return {
        "id": event_id,
        "type": "order.updated",
        "occurred_at": at(minutes),
        "data": {
            "external_id": "1042",
            "status": status,
            "currency": "IRT",
            "total": "1000000",
            "customer": {"external_id": "57", "phone": "09121234567", "first_name": "سارا"},
        },
    }


def refund(event_id: str, refund_id: str, amount: str, minutes: int) -> dict[str, Any]:
    return {
        "id": event_id,
        "type": "order.refunded",
        "occurred_at": at(minutes),
        "data": {"order_external_id": "1042", "refund_id": refund_id, "amount": amount, "currency": "IRT"},
    }


def customer(event_id: str, first_name: str, minutes: int) -> dict[str, Any]:
    return {
        "id": event_id,
        "type": "customer.updated",
        "occurred_at": at(minutes),
        "data": {"external_id": "57", "phone": "09121234567", "first_name": first_name},
    }


async def run(tenant_id: Any, recorder: Recorder, *events: dict[str, Any]) -> None:
    await store_events(tenant_id=tenant_id, source="api", raw_events=list(events))
    await process_pending(tenant_id=tenant_id, now=NOW, handlers=[recorder])


async def test_an_order_is_created_once_then_completed_and_refunded_per_refund(db: None) -> None:
    """order.created comes with the first event of an order only; each new refund is one
    order.refunded with its amount in minor units, the last one fully refunding (and reversing) the
    order; a repeated refund announces nothing."""
    # given
    owner = await make_owner()
    recorder = Recorder()
    # when
    await run(owner.tenant.id, recorder, order("e1", "processing", 0), order("e2", "completed", 1))
    await run(owner.tenant.id, recorder, refund("e3", "r1", "400000", 2))
    await run(owner.tenant.id, recorder, refund("e4", "r1", "400000", 3))  # the same refund again
    await run(owner.tenant.id, recorder, refund("e5", "r2", "600000", 4))
    # then
    [created] = recorder.of(OrderCreated)
    assert len(recorder.of(OrderCompleted)) == 1
    refunds = recorder.of(OrderRefunded)
    assert [(r.refund_id, r.amount, r.fully_refunded) for r in refunds] == [
        ("r1", 400_000, False),
        ("r2", 600_000, True),
    ]
    assert {r.order_id for r in refunds} == {created.order_id}
    assert [r.reason for r in recorder.of(OrderReversed)] == ["refunded"]
    assert recorder.moments == [NOW] * 4


async def test_a_known_customer_whose_details_change_is_updated_once_per_batch(db: None) -> None:
    """A first event creates the customer (no update); an event repeating their details announces
    nothing; a new name is one customer.updated at that event's moment, however many changes the
    batch holds."""
    # given
    owner = await make_owner()
    recorder = Recorder()
    # when
    await run(owner.tenant.id, recorder, customer("c1", "Sara", 0))
    await run(owner.tenant.id, recorder, customer("c2", "Sara", 1))
    await run(owner.tenant.id, recorder, customer("c3", "Sarah", 2), customer("c4", "Sarah J", 3))
    # then
    [created] = recorder.of(CustomerCreated)
    [updated] = recorder.of(CustomerUpdated)
    assert updated.customer_id == created.customer_id
    assert updated.occurred_at.isoformat() == at(3)
