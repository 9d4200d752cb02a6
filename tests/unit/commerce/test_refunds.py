"""Refunds as the store reports them: never more than the order, never a negative spend."""

from __future__ import annotations

from typing import Any

from domain.commerce.models import Order, Refund
from domain.customers.models import Customer
from domain.events.models import IngestedEvent
from domain.events.processing import process_pending
from domain.events.service import store_events
from tests.support.events import NOW, order
from tests.support.factories import make_owner


def refund(event_id: str, amount: str) -> dict[str, Any]:
    return {
        "id": event_id,
        "type": "order.refunded",
        "occurred_at": "2026-11-21T10:00:00+03:30",
        "data": {"order_external_id": "1042", "refund_id": event_id, "amount": amount, "currency": "IRT"},
    }


async def test_a_refund_larger_than_the_order_is_refused_and_changes_nothing(db: None) -> None:
    """99,999,999 back on a 1,000,000 order fails with REFUND_EXCEEDS_ORDER; order and spend stay put."""
    # given
    owner = await make_owner()
    await store_events(
        tenant_id=owner.tenant.id,
        source="api",
        raw_events=[order("o-1", status="completed", at="2026-11-20T10:00:00+03:30")],
    )
    await process_pending(tenant_id=owner.tenant.id, now=NOW)
    # when
    await store_events(tenant_id=owner.tenant.id, source="api", raw_events=[refund("r-1", "99999999")])
    report = await process_pending(tenant_id=owner.tenant.id, now=NOW)
    # then
    assert report.failed == 1
    failed = await IngestedEvent.get(event_id="r-1")
    assert failed.status == "failed"
    assert failed.error == (
        "REFUND_EXCEEDS_ORDER: Refunds of order 1042 would come to 99999999 IRT, "
        "more than its total of 1000000."
    )
    assert (await Order.get(tenant_id=owner.tenant.id)).refunded_total == 0
    assert await Refund.all().count() == 0
    assert (await Customer.get(tenant_id=owner.tenant.id)).total_spent == 1000000


async def test_partial_refunds_add_up_to_the_total_and_no_further(db: None) -> None:
    """Two refunds that make the total are kept; a third that would pass it is refused alone."""
    # given
    owner = await make_owner()
    await store_events(
        tenant_id=owner.tenant.id,
        source="api",
        raw_events=[order("o-1", status="completed", at="2026-11-20T10:00:00+03:30")],
    )
    await process_pending(tenant_id=owner.tenant.id, now=NOW)
    # when
    await store_events(
        tenant_id=owner.tenant.id,
        source="api",
        raw_events=[refund("r-1", "600000"), refund("r-2", "400000"), refund("r-3", "1")],
    )
    report = await process_pending(tenant_id=owner.tenant.id, now=NOW)
    # then
    assert (report.processed, report.failed) == (2, 1)
    assert (await Order.get(tenant_id=owner.tenant.id)).refunded_total == 1000000
    assert (await IngestedEvent.get(event_id="r-3")).status == "failed"
    assert (await Customer.get(tenant_id=owner.tenant.id)).total_spent == 0


async def test_an_order_whose_total_drops_below_its_refunds_never_makes_spend_negative(db: None) -> None:
    """A later order event with a smaller total than what was refunded counts as zero spend, not less."""
    # given
    owner = await make_owner()
    await store_events(
        tenant_id=owner.tenant.id,
        source="api",
        raw_events=[
            order("o-1", status="completed", at="2026-11-20T10:00:00+03:30"),
            refund("r-1", "900000"),
        ],
    )
    await process_pending(tenant_id=owner.tenant.id, now=NOW)
    # when
    await store_events(
        tenant_id=owner.tenant.id,
        source="api",
        raw_events=[order("o-2", status="completed", at="2026-11-22T10:00:00+03:30", total="500000")],
    )
    await process_pending(tenant_id=owner.tenant.id, now=NOW)
    # then
    assert (await Customer.get(tenant_id=owner.tenant.id)).total_spent == 0
