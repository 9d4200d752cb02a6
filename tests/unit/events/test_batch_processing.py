"""Set-based processing: a batch costs a fixed handful of statements, and one event that breaks a
statement fails alone while the rest of its batch is applied."""

from __future__ import annotations

from typing import Any

from tortoise import Tortoise

from domain.commerce.models import Order, OrderItem, Payment, Refund
from domain.customers.models import Customer
from domain.events.models import IngestedEvent
from domain.events.processing import process_pending
from domain.events.service import replay, store_events
from tests.support.events import NOW
from tests.support.factories import make_owner
from tests.support.statements import recorded_statements


def history(count: int, *, prefix: str = "") -> list[dict[str, Any]]:
    """``count`` new customers, each with a completed order of two lines, a partial refund and a payment."""
    events: list[dict[str, Any]] = []
    for number in range(count):
        order_id = f"{prefix}{number}"
        events += [
            {
                "id": f"order-{order_id}",
                "type": "order.created",
                "occurred_at": "2026-11-20T10:00:00+00:00",
                "data": {
                    "external_id": order_id,
                    "status": "completed",
                    "currency": "IRT",
                    "total": "300000",
                    "items": [
                        {"product_id": "1", "name": "چای", "quantity": 1, "total": "100000"},
                        {"product_id": "2", "name": "قهوه", "quantity": 2, "total": "200000"},
                    ],
                    "billing": {"phone": f"0912{number:07d}", "first_name": "سارا"},
                },
            },
            {
                "id": f"refund-{order_id}",
                "type": "order.refunded",
                "occurred_at": "2026-11-20T11:00:00+00:00",
                "data": {
                    "order_external_id": order_id,
                    "refund_id": f"r-{order_id}",
                    "amount": "100000",
                    "currency": "IRT",
                },
            },
            {
                "id": f"payment-{order_id}",
                "type": "payment.completed",
                "occurred_at": "2026-11-20T10:30:00+00:00",
                "data": {
                    "order_external_id": order_id,
                    "transaction_id": f"t-{order_id}",
                    "amount": "300000",
                    "currency": "IRT",
                },
            },
        ]
    return events


async def send(tenant_id: Any, events: list[dict[str, Any]]) -> None:
    for start in range(0, len(events), 500):
        await store_events(tenant_id=tenant_id, source="api", raw_events=events[start : start + 500])


async def test_a_batch_costs_the_same_few_statements_whatever_its_size(db: None) -> None:
    """Processing 5 orders' events and 160 orders' events (each with customer, lines, refund and
    payment) sends the same number of statements: the cost per event does not grow with the batch."""
    # given: a small store and a large one
    small, large = await make_owner(), await make_owner()
    await send(small.tenant.id, history(5))
    await send(large.tenant.id, history(160))
    # when
    with recorded_statements() as for_small:
        small_report = await process_pending(tenant_id=small.tenant.id, now=NOW)
    with recorded_statements() as for_large:
        large_report = await process_pending(tenant_id=large.tenant.id, now=NOW, limit=500)
    # then
    assert (small_report.processed, large_report.processed) == (15, 480)
    assert len(for_small) == len(for_large), (for_small, for_large)
    assert len(for_large) <= 25, for_large
    assert await Customer.filter(tenant_id=large.tenant.id).count() == 160
    assert await OrderItem.filter(tenant_id=large.tenant.id).count() == 320
    assert await Refund.filter(tenant_id=large.tenant.id).count() == 160
    assert await Payment.filter(tenant_id=large.tenant.id).count() == 160
    spenders = await Customer.filter(tenant_id=large.tenant.id).values_list("orders_count", "total_spent")
    assert set(spenders) == {(1, 200000)}


async def test_an_event_that_breaks_a_statement_fails_alone_and_can_be_replayed(db: None) -> None:
    """When the database refuses one order's row, that event fails as INTERNAL and every other event
    of the batch — those before and after it — is applied; once the cause is gone, a replay applies it."""
    # given: a database rule refusing order "7" (as a constraint added by an operator might)
    owner = await make_owner()
    await send(owner.tenant.id, history(12))
    connection = Tortoise.get_connection("default")
    await connection.execute_script(
        """
        CREATE FUNCTION refuse_order_seven() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW.external_id = '7' THEN RAISE EXCEPTION 'order 7 refused'; END IF;
            RETURN NEW;
        END $$;
        CREATE TRIGGER refuse_order_seven BEFORE INSERT ON orders
            FOR EACH ROW EXECUTE FUNCTION refuse_order_seven();
        """
    )
    try:
        # when
        report = await process_pending(tenant_id=owner.tenant.id, now=NOW)
    finally:
        await connection.execute_script(
            "DROP TRIGGER refuse_order_seven ON orders; DROP FUNCTION refuse_order_seven();"
        )
    # then: the order fails alone; its refund and payment wait for it
    failed = await IngestedEvent.get(tenant_id=owner.tenant.id, event_id="order-7")
    assert failed.status == "failed" and failed.error is not None and failed.error.startswith("INTERNAL")
    assert (report.processed, report.failed, report.waiting) == (33, 1, 2)
    assert await Order.filter(tenant_id=owner.tenant.id).count() == 11
    waiting = await IngestedEvent.filter(tenant_id=owner.tenant.id, status="waiting").values_list(
        "event_id", flat=True
    )
    assert sorted(waiting) == ["payment-7", "refund-7"]
    # and when the store's order is replayed, it and what waited for it are applied
    assert await replay(tenant_id=owner.tenant.id, event_ids=[failed.id]) == 1
    again = await process_pending(tenant_id=owner.tenant.id, now=NOW)
    assert (again.processed, again.failed, again.waiting) == (3, 0, 0)
    order_seven = await Order.get(tenant_id=owner.tenant.id, external_id="7")
    assert order_seven.refunded_total == 100000
    assert await IngestedEvent.filter(tenant_id=owner.tenant.id).exclude(status="processed").count() == 0


async def test_events_of_one_order_in_one_batch_apply_in_their_order(db: None) -> None:
    """One batch holds an order's whole story, sent out of order: an early description (sent last),
    the completed order, a partial refund, the cancellation. They apply in the order they happened,
    so the order ends cancelled with its refund, and its customer has no purchase left."""
    # given
    owner = await make_owner()
    [created, refund, _payment] = history(1)
    cancelled = {**created, "id": "cancel-0", "occurred_at": "2026-11-20T12:00:00+00:00"}
    cancelled["data"] = {**created["data"], "status": "cancelled"}
    stale = {**created, "id": "stale-0", "occurred_at": "2026-11-20T09:00:00+00:00"}
    stale["data"] = {**created["data"], "status": "processing", "total": "1"}
    await send(owner.tenant.id, [created, refund, cancelled, stale])
    # when
    report = await process_pending(tenant_id=owner.tenant.id, now=NOW)
    # then
    assert (report.processed, report.failed, report.waiting) == (4, 0, 0)
    order = await Order.get(tenant_id=owner.tenant.id, external_id="0")
    assert (order.status, order.total, order.refunded_total) == ("cancelled", 300000, 100000)
    customer = await Customer.get(tenant_id=owner.tenant.id)
    assert (customer.orders_count, customer.total_spent) == (0, 0)
