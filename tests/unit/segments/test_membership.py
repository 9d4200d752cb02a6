"""Segment memberships follow the store's history: processing moves the customers it touches in and
out at once, and a full refresh catches up what time alone changed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from domain.events.domain_events import DomainEvent, SegmentEntered, SegmentLeft
from domain.events.processing import process_pending
from domain.events.service import store_events
from domain.segments import service as segments
from domain.segments.models import SegmentMembership, SegmentSize
from domain.segments.refresh import refresh_segments
from tests.support.factories import make_owner
from tests.support.shop import customer_named, days_before, deliver, order_event

NOW = datetime.now(UTC).replace(microsecond=0)
REPEAT_BUYERS = {"version": 1, "match": {"all": [{"field": "orders_count", "op": "gte", "value": 2}]}}
LAPSED = {"version": 1, "match": {"all": [{"field": "days_since_last_order", "op": "gt", "value": 60}]}}


async def members(segment_id: object) -> set[str]:
    rows = await SegmentMembership.filter(segment_id=segment_id, left_at__isnull=True).prefetch_related(
        "customer"
    )
    return {row.customer.external_id or "" for row in rows}


async def test_a_new_segment_holds_exactly_the_matching_customers(db: None) -> None:
    """Creating a condition segment materialises its members before the call returns, and records its size."""
    # given: sara ordered twice, reza once
    owner = await make_owner()
    tenant = owner.tenant.id
    await deliver(
        tenant,
        [
            order_event(customer="sara", placed_at=days_before(NOW, 20)),
            order_event(customer="sara", placed_at=days_before(NOW, 5)),
            order_event(customer="reza", placed_at=days_before(NOW, 3)),
        ],
        now=NOW,
    )
    # when
    segment = await segments.create(tenant_id=tenant, name="Repeat buyers", definition=REPEAT_BUYERS, now=NOW)
    # then
    assert await members(segment.id) == {"sara"}
    assert segment.member_count == 1
    assert await SegmentSize.filter(segment_id=segment.id).values_list("size", flat=True) == [1]


async def test_an_order_moves_its_customer_into_a_segment_as_it_is_processed(db: None) -> None:
    """The customers a batch touches are reconsidered in the same transaction; the entry is announced."""
    # given: a repeat-buyers segment and reza with one order
    owner = await make_owner()
    tenant = owner.tenant.id
    await deliver(tenant, [order_event(customer="reza", placed_at=days_before(NOW, 3))], now=NOW)
    segment = await segments.create(tenant_id=tenant, name="Repeat buyers", definition=REPEAT_BUYERS, now=NOW)
    assert await members(segment.id) == set()
    # when: reza orders again
    await deliver(tenant, [order_event(customer="reza", placed_at=days_before(NOW, 1))], now=NOW)
    # then
    assert await members(segment.id) == {"reza"}
    await segment.refresh_from_db()
    assert segment.member_count == 1


async def test_a_cancelled_order_moves_its_customer_out_and_the_stay_is_kept(db: None) -> None:
    """Leaving closes the stay with its time; the history of stays stays readable."""
    # given: sara is a repeat buyer
    owner = await make_owner()
    tenant = owner.tenant.id
    await deliver(
        tenant,
        [
            order_event(customer="sara", placed_at=days_before(NOW, 9), order_id="a"),
            order_event(customer="sara", placed_at=days_before(NOW, 4), order_id="b"),
        ],
        now=NOW,
    )
    segment = await segments.create(tenant_id=tenant, name="Repeat buyers", definition=REPEAT_BUYERS, now=NOW)
    # when: one of her orders is cancelled
    later = NOW + timedelta(minutes=5)
    await deliver(
        tenant,
        [order_event(customer="sara", placed_at=days_before(NOW, 4), order_id="b", status="cancelled")],
        now=later,
    )
    # then
    assert await members(segment.id) == set()
    stays = await SegmentMembership.filter(segment_id=segment.id)
    assert [(stay.entered_at, stay.left_at) for stay in stays] == [(NOW, later)]


async def test_time_alone_moves_customers_at_the_full_refresh(db: None) -> None:
    """ "No order in 60 days" needs no event: the full refresh at a later moment finds who crossed it."""
    # given: reza's last order was 50 days ago; nobody is lapsed yet
    owner = await make_owner()
    tenant = owner.tenant.id
    await deliver(tenant, [order_event(customer="reza", placed_at=days_before(NOW, 50))], now=NOW)
    segment = await segments.create(tenant_id=tenant, name="Lapsed", definition=LAPSED, now=NOW)
    assert await members(segment.id) == set()
    # when: eleven days pass and the store is refreshed
    changes = await refresh_segments(tenant_id=tenant, now=NOW + timedelta(days=11))
    # then
    reza = await customer_named(tenant, "reza")
    assert await members(segment.id) == {"reza"}
    assert [(change.entered, change.left) for change in changes] == [((reza.id,), ())]


async def test_a_refresh_repeated_changes_nothing(db: None) -> None:
    """Refreshing twice at the same moment opens no second stay and announces nobody."""
    owner = await make_owner()
    tenant = owner.tenant.id
    await deliver(tenant, [order_event(customer="reza", placed_at=days_before(NOW, 90))], now=NOW)
    segment = await segments.create(tenant_id=tenant, name="Lapsed", definition=LAPSED, now=NOW)
    # when
    again = await refresh_segments(tenant_id=tenant, now=NOW)
    # then
    assert [(change.entered, change.left, change.size) for change in again] == [((), (), 1)]
    assert await SegmentMembership.filter(segment_id=segment.id).count() == 1


async def test_processing_announces_who_entered_and_left_to_its_handlers(db: None) -> None:
    """Journeys will enrol on segment.entered: the handlers of a batch hear it with the customer."""
    owner = await make_owner()
    tenant = owner.tenant.id
    await deliver(tenant, [order_event(customer="reza", placed_at=days_before(NOW, 3))], now=NOW)
    segment = await segments.create(tenant_id=tenant, name="Repeat buyers", definition=REPEAT_BUYERS, now=NOW)
    heard: list[object] = []

    async def listen(events: Sequence[DomainEvent], *, now: datetime) -> list[object]:
        heard.extend(event for event in events if isinstance(event, SegmentEntered | SegmentLeft))
        return []

    # when
    await store_events(
        tenant_id=tenant,
        source="api",
        raw_events=[order_event(customer="reza", placed_at=days_before(NOW, 1))],
    )
    await process_pending(tenant_id=tenant, now=NOW, handlers=(listen,))
    # then
    reza = await customer_named(tenant, "reza")
    assert heard == [SegmentEntered(tenant, segment.id, reza.id, NOW)]
