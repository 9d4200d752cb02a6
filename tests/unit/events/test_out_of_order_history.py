"""History sent out of order: events about an order Revisit has not received yet wait for it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from domain.commerce.models import Order, Payment, Refund
from domain.customers.models import Customer
from domain.events.domain_events import DomainEvent, OrderReversed
from domain.events.models import IngestedEvent
from domain.events.processing import MAX_WAIT, expire_waiting, process_pending
from domain.events.service import replay, store_events
from tests.support.events import NOW, order
from tests.support.factories import make_owner


def refund(event_id: str, *, at: str, amount: str = "300000", refund_id: str | None = None) -> dict[str, Any]:
    return {
        "id": event_id,
        "type": "order.refunded",
        "occurred_at": at,
        "data": {
            "order_external_id": "1042",
            "refund_id": refund_id or event_id,
            "amount": amount,
            "currency": "IRT",
        },
    }


def payment(event_id: str, *, at: str) -> dict[str, Any]:
    return {
        "id": event_id,
        "type": "payment.completed",
        "occurred_at": at,
        "data": {
            "order_external_id": "1042",
            "transaction_id": "A000123",
            "amount": "1000000",
            "currency": "IRT",
            "method": "zarinpal",
        },
    }


class Recorder:
    def __init__(self) -> None:
        self.seen: list[DomainEvent] = []

    async def __call__(self, events: Sequence[DomainEvent], *, now: datetime) -> list[Any]:
        self.seen.extend(events)
        return []


async def test_a_backfilled_refund_older_than_its_orders_last_change_is_applied_in_the_same_run(
    db: None,
) -> None:
    """A backfill stamps the order with its last change and the refund with its own (older) time: the
    refund comes first, waits, and is applied right after its order in the same processing run."""
    # given: one batch, the refund older than the order's event
    owner = await make_owner()
    await store_events(
        tenant_id=owner.tenant.id,
        source="api",
        raw_events=[
            order("o-1", status="completed", at="2026-11-20T12:00:00+03:30"),
            refund("r-1", at="2026-11-20T11:00:00+03:30"),
        ],
    )
    # when
    report = await process_pending(tenant_id=owner.tenant.id, now=NOW)
    # then
    # (the refund waited only within the run, so none is left waiting)
    assert (report.processed, report.failed, report.waiting) == (2, 0, 0)
    stored = await Order.get(tenant_id=owner.tenant.id, external_id="1042")
    assert stored.refunded_total == 300000
    assert await Refund.filter(tenant_id=owner.tenant.id).count() == 1
    assert set(await IngestedEvent.all().values_list("status", flat=True)) == {"processed"}
    customer = await Customer.get(tenant_id=owner.tenant.id)
    assert customer.total_spent == 1000000 - 300000


async def test_a_refund_received_before_its_order_waits_visibly_until_the_order_arrives(db: None) -> None:
    """A refund sent in an earlier batch than its order is kept as waiting (with the reason), not failed;
    the order's arrival in a later batch applies it."""
    # given
    owner = await make_owner()
    await store_events(
        tenant_id=owner.tenant.id, source="api", raw_events=[refund("r-1", at="2026-11-20T11:00:00+03:30")]
    )
    first = await process_pending(tenant_id=owner.tenant.id, now=NOW)
    waiting = await IngestedEvent.get(event_id="r-1")
    # when
    await store_events(
        tenant_id=owner.tenant.id,
        source="api",
        raw_events=[order("o-1", status="processing", at="2026-11-20T10:00:00+03:30")],
    )
    second = await process_pending(tenant_id=owner.tenant.id, now=NOW)
    # then
    assert (first.processed, first.failed, first.waiting) == (0, 0, 1)
    assert (waiting.status, waiting.waiting_for) == ("waiting", "order:1042")
    assert waiting.error is not None and waiting.error.startswith("ORDER_UNKNOWN")
    assert second.processed == 2
    applied = await IngestedEvent.get(event_id="r-1")
    assert (applied.status, applied.waiting_for, applied.error) == ("processed", None, None)
    assert (await Order.get(tenant_id=owner.tenant.id)).refunded_total == 300000


async def test_a_full_refund_that_waited_still_reverses_the_order(db: None) -> None:
    """Out of order or not, a refund of the whole total announces the reversal (cashback is taken back)."""
    # given
    owner = await make_owner()
    recorder = Recorder()
    await store_events(
        tenant_id=owner.tenant.id,
        source="api",
        raw_events=[
            refund("r-1", at="2026-11-20T11:00:00+03:30", amount="1000000"),
            order("o-1", status="completed", at="2026-11-20T12:00:00+03:30"),
        ],
    )
    # when
    await process_pending(tenant_id=owner.tenant.id, now=NOW, handlers=[recorder])
    # then
    reversals = [event for event in recorder.seen if isinstance(event, OrderReversed)]
    assert [event.reason for event in reversals] == ["refunded"]


async def test_a_payment_received_before_its_order_waits_and_is_linked_to_it(db: None) -> None:
    """A payment for an unknown order is not stored orphaned: it waits and then points at its order."""
    # given
    owner = await make_owner()
    await store_events(
        tenant_id=owner.tenant.id, source="api", raw_events=[payment("p-1", at="2026-11-20T09:00:00+03:30")]
    )
    await process_pending(tenant_id=owner.tenant.id, now=NOW)
    # when
    await store_events(
        tenant_id=owner.tenant.id,
        source="api",
        raw_events=[order("o-1", status="completed", at="2026-11-20T10:00:00+03:30")],
    )
    await process_pending(tenant_id=owner.tenant.id, now=NOW)
    # then
    stored = await Order.get(tenant_id=owner.tenant.id)
    linked = await Payment.get(tenant_id=owner.tenant.id)
    assert linked.order_id == stored.id  # type: ignore[attr-defined]


async def test_another_stores_order_with_the_same_id_releases_nothing(db: None) -> None:
    """Waiting is per store: store B's order 1042 does not apply store A's waiting refund of 1042."""
    # given
    store_a, store_b = await make_owner(), await make_owner()
    await store_events(
        tenant_id=store_a.tenant.id, source="api", raw_events=[refund("r-1", at="2026-11-20T11:00:00+03:30")]
    )
    await process_pending(tenant_id=store_a.tenant.id, now=NOW)
    # when
    await store_events(
        tenant_id=store_b.tenant.id,
        source="api",
        raw_events=[order("o-1", status="completed", at="2026-11-20T10:00:00+03:30")],
    )
    await process_pending(tenant_id=store_b.tenant.id, now=NOW)
    # then
    assert (await IngestedEvent.get(tenant_id=store_a.tenant.id, event_id="r-1")).status == "waiting"
    assert (await Order.get(tenant_id=store_b.tenant.id)).refunded_total == 0
    assert await Refund.all().count() == 0


async def test_an_event_that_never_resolves_fails_visibly_after_the_wait_and_can_be_replayed(
    db: None,
) -> None:
    """Only what can never resolve ends up failed: after MAX_WAIT the refund fails with its reason, and a
    replay once the order exists applies it."""
    # given
    owner = await make_owner()
    await store_events(
        tenant_id=owner.tenant.id, source="api", raw_events=[refund("r-1", at="2026-11-20T11:00:00+03:30")]
    )
    await process_pending(tenant_id=owner.tenant.id, now=NOW)
    # when
    early = await expire_waiting(now=NOW + MAX_WAIT - timedelta(minutes=1))
    late = await expire_waiting(now=NOW + MAX_WAIT + timedelta(minutes=1))
    failed = await IngestedEvent.get(event_id="r-1")
    # then
    assert (early, late) == (0, 1)
    assert failed.status == "failed"
    assert failed.error == (
        "ORDER_UNKNOWN: Order 1042 has not been received yet. It did not arrive within 7 days."
    )
    # and when the order finally comes and the owner replays the refund
    await store_events(
        tenant_id=owner.tenant.id,
        source="api",
        raw_events=[order("o-1", status="completed", at="2026-11-20T10:00:00+03:30")],
    )
    await process_pending(tenant_id=owner.tenant.id, now=NOW + MAX_WAIT)
    assert await replay(tenant_id=owner.tenant.id, event_ids=[failed.id]) == 1
    await process_pending(tenant_id=owner.tenant.id, now=NOW + MAX_WAIT)
    assert (await Order.get(tenant_id=owner.tenant.id)).refunded_total == 300000


async def test_a_refund_sent_twice_while_waiting_is_applied_once(db: None) -> None:
    """The plugin may resend a batch: the same refund id, waiting or not, is recorded once."""
    # given
    owner = await make_owner()
    first = refund("r-1", at="2026-11-20T11:00:00+03:30")
    again = refund("r-1-resent", at="2026-11-20T11:00:00+03:30", refund_id="r-1")
    await store_events(tenant_id=owner.tenant.id, source="api", raw_events=[first, again])
    await store_events(tenant_id=owner.tenant.id, source="api", raw_events=[first])
    # when
    await store_events(
        tenant_id=owner.tenant.id,
        source="api",
        raw_events=[order("o-1", status="completed", at="2026-11-20T10:00:00+03:30")],
    )
    await process_pending(tenant_id=owner.tenant.id, now=NOW)
    # then
    assert await Refund.filter(tenant_id=owner.tenant.id).count() == 1
    assert (await Order.get(tenant_id=owner.tenant.id)).refunded_total == 300000
    assert await IngestedEvent.filter(status="processed").count() == 3
