"""WooCommerce webhook payloads (REST API v3) become unified events that pass the event schema."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from domain.events.schema import (
    CustomerData,
    EventType,
    OrderData,
    OrderStatus,
    RefundData,
    ValidatedEvent,
    validate_event,
)
from domain.events.woocommerce import Delivery, UnusablePayload, events_from_webhook, is_mapped
from tests.support.woocommerce import wc_customer, wc_guest_order, wc_order

UPDATED = Delivery(
    topic="order.updated", delivery_id="abc123", webhook_id="12", store_url="https://chai.example.ir/"
)


def validated(raw: dict[str, Any]) -> ValidatedEvent:
    outcome = validate_event(raw)
    assert isinstance(outcome, ValidatedEvent), outcome
    return outcome


def test_an_order_becomes_an_order_event_with_everything_revisit_uses() -> None:
    """Ids, status, currency, totals, lines, coupons, billing, customer and UTC times all carry over."""
    # when
    order_event = validated(events_from_webhook(wc_order(), UPDATED)[0])
    # then
    assert order_event.type is EventType.ORDER_UPDATED
    data = order_event.data
    assert isinstance(data, OrderData)
    assert (data.external_id, data.number, data.status, data.currency) == (
        "1042",
        "1042",
        OrderStatus.COMPLETED,
        "IRT",
    )
    assert (data.total, data.subtotal, data.discount_total, data.shipping_total, data.tax_total) == (
        Decimal(1250000),
        Decimal(1200000),
        Decimal(50000),
        Decimal(100000),
        Decimal(0),
    )
    assert data.coupon_codes == ["yalda1403"]
    assert [(i.product_id, i.name, i.sku, i.quantity, i.total) for i in data.items] == [
        ("88", "چای ماسالا - ۵۰۰ گرم", "TEA-500", 2, Decimal(960000)),
        ("95", "لیوان سفالی", "", 1, Decimal(190000)),
    ]
    assert data.billing is not None and data.billing.phone == "۰۹۱۲۱۲۳۴۵۶۷"
    assert data.customer is not None
    assert (data.customer.external_id, data.customer.first_name, data.customer.last_name) == (
        "57",
        "سارا",
        "احمدی",
    )
    assert (data.customer.email, data.customer.city) == ("sara@example.ir", "تهران")
    assert data.created_at == datetime(2026, 11, 20, 6, 30, tzinfo=UTC)
    assert data.completed_at == datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
    assert order_event.event.occurred_at == datetime(2026, 11, 21, 9, 0, tzinfo=UTC)


def test_each_refund_of_an_order_becomes_a_refund_event_with_a_positive_amount() -> None:
    """WooCommerce lists refunds with negative totals; Revisit gets one order.refunded per refund id."""
    # given
    order = wc_order(
        refunds=[{"id": 1077, "reason": "شکسته", "total": "-190000"}, {"id": 1080, "total": "-5.5"}]
    )
    # when
    refunds = [validated(raw) for raw in events_from_webhook(order, UPDATED)[1:]]
    # then
    assert [refund.id for refund in refunds] == ["wc-refund-1077", "wc-refund-1080"]
    assert all(refund.type is EventType.ORDER_REFUNDED for refund in refunds)
    first, second = (refund.data for refund in refunds)
    assert isinstance(first, RefundData) and isinstance(second, RefundData)
    assert (first.order_external_id, first.refund_id, first.amount, first.currency, first.reason) == (
        "1042",
        "1077",
        Decimal(190000),
        "IRT",
        "شکسته",
    )
    assert (second.amount, second.reason) == (Decimal("5.5"), None)


def test_a_guest_order_has_a_customer_known_only_by_billing_details() -> None:
    """customer_id 0 means a guest: no external id, the billing phone and names identify them."""
    # when
    events = events_from_webhook(wc_guest_order(), UPDATED)
    # then
    assert len(events) == 1
    data = validated(events[0]).data
    assert isinstance(data, OrderData) and data.customer is not None
    assert data.customer.external_id is None
    assert (data.customer.phone, data.customer.first_name, data.customer.email) == (
        "۰۹۱۲۱۲۳۴۵۶۷",
        "رضا",
        None,
    )
    assert data.status is OrderStatus.PROCESSING
    assert data.completed_at is None


def test_the_order_created_topic_makes_an_order_created_event_and_restored_an_update() -> None:
    """The topic decides the event type; restoring from the trash is an update."""
    # when
    created = events_from_webhook(wc_order(refunds=[]), Delivery(topic="order.created"))
    restored = events_from_webhook(wc_order(refunds=[]), Delivery(topic="order.restored"))
    # then
    assert [event["type"] for event in created + restored] == ["order.created", "order.updated"]


def test_a_customer_becomes_a_customer_event_with_billing_details_filling_the_gaps() -> None:
    """An account without names takes them from billing, and the billing phone and city."""
    # when
    (raw,) = events_from_webhook(wc_customer(), Delivery(topic="customer.created"))
    # then
    event = validated(raw)
    assert event.type is EventType.CUSTOMER_CREATED
    data = event.data
    assert isinstance(data, CustomerData)
    assert (data.external_id, data.first_name, data.last_name, data.email, data.phone, data.city) == (
        "57",
        "سارا",
        "احمدی",
        "sara@example.ir",
        "09121234567",
        "تهران",
    )
    assert data.created_at == datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
    assert event.event.occurred_at == datetime(2026, 11, 15, 9, 30, tzinfo=UTC)


def test_the_same_content_gets_the_same_event_id_and_a_change_gets_a_new_one() -> None:
    """A repeated delivery is a duplicate; a status change is a new event even within the same second."""
    # given
    order = wc_order(refunds=[])
    # when
    first = events_from_webhook(order, UPDATED)[0]["id"]
    again = events_from_webhook(order, Delivery(topic="order.updated", delivery_id="other"))[0]["id"]
    noise = events_from_webhook({**order, "meta_data": [], "cart_hash": "x"}, UPDATED)[0]["id"]
    changed = events_from_webhook({**order, "status": "refunded"}, UPDATED)[0]["id"]
    # then
    assert first == again == noise
    assert first.startswith("wc-order.updated-1042-2026-11-21T09:00:00-")
    assert changed != first
    assert len(first) <= 128


def test_the_delivery_is_kept_with_each_event() -> None:
    """Topic, delivery id, webhook id and store address travel with the event, to trace it back."""
    # when
    events = events_from_webhook(wc_order(), UPDATED)
    # then
    assert {tuple(event["woocommerce"].items()) for event in events} == {
        (
            ("topic", "order.updated"),
            ("delivery_id", "abc123"),
            ("webhook_id", "12"),
            ("store_url", "https://chai.example.ir/"),
        )
    }


@pytest.mark.parametrize(
    "topic",
    ["order.deleted", "customer.deleted", "product.updated", "coupon.created", "action.woocommerce_x"],
)
def test_deletions_and_other_topics_are_ignored(topic: str) -> None:
    """Nothing Revisit uses: no events, whatever the body."""
    # when / then
    assert not is_mapped(topic)
    assert events_from_webhook({"id": 1042}, Delivery(topic=topic)) == []


def test_times_that_already_carry_an_offset_are_kept() -> None:
    """Only offset-less times are read as UTC; a filtered payload with an offset keeps it."""
    # when
    (raw,) = events_from_webhook(wc_order(refunds=[], date_modified_gmt="2026-11-21T12:30:00+03:30"), UPDATED)
    # then
    assert validated(raw).event.occurred_at == datetime(2026, 11, 21, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ([1, 2], "JSON object"),
        ({"status": "completed"}, "no id"),
        ({"id": 1042, "status": "completed"}, "date_modified_gmt"),
    ],
)
def test_a_body_that_is_no_woocommerce_resource_cannot_be_mapped(payload: Any, reason: str) -> None:
    """Not an object, no id, or no dates: the error says which."""
    # when / then
    with pytest.raises(UnusablePayload, match=reason):
        events_from_webhook(payload, UPDATED)


def test_an_order_with_bad_values_maps_to_an_event_the_schema_rejects_with_the_field() -> None:
    """The mapping does not judge values; validation names what is wrong, as for any event."""
    # given
    order = wc_order(refunds=[{"id": 1077, "total": "lots"}], currency="toman")
    # when
    outcomes = [validate_event(raw) for raw in events_from_webhook(order, UPDATED)]
    # then
    assert not any(isinstance(outcome, ValidatedEvent) for outcome in outcomes)
    assert "data.currency" in str(outcomes[0]) and "data.amount" in str(outcomes[1])
