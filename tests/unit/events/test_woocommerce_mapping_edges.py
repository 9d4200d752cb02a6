"""WooCommerce payloads the mapping cannot make sense of become events that validation rejects, naming
the field, instead of exceptions out of the mapping (found by fuzzing the webhook)."""

from __future__ import annotations

from typing import Any

from domain.events.schema import EventRejection, validate_event
from domain.events.woocommerce import Delivery, events_from_webhook
from tests.support.woocommerce import wc_customer, wc_order

UPDATED = Delivery(topic="order.updated", delivery_id="d-1", webhook_id="12", store_url=None)


def rejection(raw: dict[str, Any]) -> str:
    outcome = validate_event(raw)
    assert isinstance(outcome, EventRejection), outcome
    return outcome.reason


def test_an_unpaired_surrogate_becomes_an_event_rejected_for_it() -> None:
    """A lone surrogate in a name no longer breaks the event's digest; the event is rejected naming it."""
    # given
    order = wc_order(billing={**wc_order()["billing"], "first_name": "x\ud800"})
    # when
    events = events_from_webhook(order, UPDATED)
    # then
    assert rejection(events[0]).startswith(
        "data.billing.first_name: Text may not contain unpaired surrogates"
    )


def test_a_line_subtotal_too_large_to_add_up_is_left_for_validation_to_refuse() -> None:
    """``1e999999999`` overflows Decimal arithmetic; the order's subtotal is then rejected by name."""
    # given
    lines = wc_order()["line_items"]
    order = wc_order(line_items=[{**lines[0], "subtotal": "1e999999999"}, lines[1]])
    # when
    events = events_from_webhook(order, UPDATED)
    # then
    assert rejection(events[0]).startswith("data.subtotal: Input should be less than or equal to")


def test_a_refund_total_too_large_is_left_for_validation_to_refuse() -> None:
    """A refund whose ``total`` overflows when made positive becomes a refund event rejected by name."""
    # given
    order = wc_order(refunds=[{"id": 1077, "reason": "", "total": "-1e999999999"}])
    # when
    events = events_from_webhook(order, UPDATED)
    # then
    assert rejection(events[1]).startswith("data.amount: ")


def test_a_customer_with_a_surrogate_in_the_e_mail_is_rejected_naming_it() -> None:
    """The same for customer deliveries."""
    # given
    customer = wc_customer(email="sara\udfff@example.ir")
    # when
    events = events_from_webhook(customer, Delivery("customer.updated", "d-2", "12", None))
    # then
    assert rejection(events[0]).startswith("data.email: Text may not contain unpaired surrogates")
