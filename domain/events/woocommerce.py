"""WooCommerce's own webhooks, turned into unified events.

A store that does not run the plugin can point WooCommerce's webhooks (REST API v3 payloads) at Revisit.
Each delivery carries one order or customer exactly as ``/wp-json/wc/v3/orders/<id>`` (or ``customers``)
returns it; these pure functions turn it into the unified events of :mod:`domain.events.schema`, which are
then validated and stored like any other, under their own source so their ids never meet the plugin's.

What is mapped:

- ``order.created`` → ``order.created``; ``order.updated`` and ``order.restored`` → ``order.updated``;
  each refund listed in the order → one ``order.refunded`` (id ``wc-refund-<refund id>``, so a refund
  seen again in a later delivery is a duplicate).
- ``customer.created`` / ``customer.updated`` → the same unified type.
- Everything else (``*.deleted``, products, coupons, custom actions) is ignored: no events.

WooCommerce writes ``*_gmt`` times without an offset; they are UTC and are sent on with ``Z``. An event's
id is made of the topic, the resource id, its ``date_modified_gmt`` and a digest of what was mapped, so a
repeated delivery of the same content is a duplicate while any change Revisit cares about is a new event.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

from domain.events.schema import EventType

SOURCE: Final = "woocommerce_webhook"
"""The source of events received through WooCommerce webhooks (plugin and API events are ``api``)."""

ORDER_TOPICS: Final[Mapping[str, EventType]] = {
    "order.created": EventType.ORDER_CREATED,
    "order.updated": EventType.ORDER_UPDATED,
    "order.restored": EventType.ORDER_UPDATED,
}
CUSTOMER_TOPICS: Final[Mapping[str, EventType]] = {
    "customer.created": EventType.CUSTOMER_CREATED,
    "customer.updated": EventType.CUSTOMER_UPDATED,
}
DIGEST_LENGTH: Final = 12


class UnusablePayload(ValueError):
    """The delivery's body is not a WooCommerce resource Revisit can make events of; the message says why."""


@dataclass(frozen=True)
class Delivery:
    """What WooCommerce's ``X-WC-Webhook-*`` headers said about one delivery."""

    topic: str
    delivery_id: str | None = None
    webhook_id: str | None = None
    store_url: str | None = None
    """The store's address (``X-WC-Webhook-Source``)."""

    def as_record(self) -> dict[str, str | None]:
        """The delivery as kept with each stored event, to trace it back to WooCommerce's webhook log."""
        return {
            "topic": self.topic,
            "delivery_id": self.delivery_id,
            "webhook_id": self.webhook_id,
            "store_url": self.store_url,
        }


def is_mapped(topic: str) -> bool:
    """Whether deliveries of this topic become events (otherwise they are accepted and ignored)."""
    return _topic(topic) in ORDER_TOPICS or _topic(topic) in CUSTOMER_TOPICS


def events_from_webhook(payload: Any, delivery: Delivery) -> list[dict[str, Any]]:
    """The unified events (raw, not yet validated) that one delivery stands for; none for ignored topics.

    Raises :class:`UnusablePayload` when a mapped topic's body is not an object with an ``id`` and a date.
    """
    topic = _topic(delivery.topic)
    if topic in ORDER_TOPICS:
        return order_events(_resource(payload), event_type=ORDER_TOPICS[topic], delivery=delivery)
    if topic in CUSTOMER_TOPICS:
        return [customer_event(_resource(payload), event_type=CUSTOMER_TOPICS[topic], delivery=delivery)]
    return []


def order_events(
    order: Mapping[str, Any], *, event_type: EventType, delivery: Delivery
) -> list[dict[str, Any]]:
    """The order event, then one ``order.refunded`` event per refund the order lists."""
    occurred_at = _occurred_at(order)
    currency = order.get("currency")
    billing = _mapping(order.get("billing"))
    data = {
        "external_id": _text(order["id"]),
        "number": _text(order.get("number")),
        "status": order.get("status"),
        "currency": currency,
        "total": order.get("total"),
        "subtotal": _lines_subtotal(order),
        "discount_total": order.get("discount_total") or "0",
        "shipping_total": order.get("shipping_total") or "0",
        "tax_total": order.get("total_tax") or "0",
        "coupon_codes": [_text(line.get("code")) for line in _mappings(order.get("coupon_lines"))],
        "items": [_item(line) for line in _mappings(order.get("line_items"))],
        "billing": _billing(billing),
        "customer": {
            "external_id": _text(order["customer_id"]) if order.get("customer_id") else None,
            **_billing(billing),
        },
        "created_at": _utc(order.get("date_created_gmt")),
        "completed_at": _utc(order.get("date_completed_gmt")),
    }
    events = [_event(event_type, order, occurred_at, data, delivery)]
    for refund in _mappings(order.get("refunds")):
        events.append(
            {
                "id": f"wc-refund-{_text(refund.get('id'))}",
                "type": EventType.ORDER_REFUNDED.value,
                "occurred_at": occurred_at,
                "data": {
                    "order_external_id": data["external_id"],
                    "refund_id": _text(refund.get("id")),
                    "amount": _refunded(refund.get("total")),
                    "currency": currency,
                    "reason": refund.get("reason"),
                },
                "woocommerce": delivery.as_record(),
            }
        )
    return events


def customer_event(
    customer: Mapping[str, Any], *, event_type: EventType, delivery: Delivery
) -> dict[str, Any]:
    """The customer event: the account's names and e-mail, else the billing ones, and the billing phone."""
    billing = _mapping(customer.get("billing"))
    data = {
        "external_id": _text(customer["id"]),
        "email": customer.get("email") or billing.get("email"),
        "first_name": customer.get("first_name") or billing.get("first_name"),
        "last_name": customer.get("last_name") or billing.get("last_name"),
        "phone": billing.get("phone"),
        "city": billing.get("city"),
        "created_at": _utc(customer.get("date_created_gmt")),
    }
    return _event(event_type, customer, _occurred_at(customer), data, delivery)


# --- helpers --------------------------------------------------------------------------------------


def _topic(topic: str) -> str:
    return topic.strip().lower()


def _resource(payload: Any) -> Mapping[str, Any]:
    if not isinstance(payload, Mapping):
        raise UnusablePayload("The webhook body must be a JSON object (WooCommerce REST API v3).")
    if payload.get("id") in (None, "", 0):
        raise UnusablePayload("The webhook body has no id; is the webhook's API version v3?")
    return payload


def _event(
    event_type: EventType,
    resource: Mapping[str, Any],
    occurred_at: str,
    data: dict[str, Any],
    delivery: Delivery,
) -> dict[str, Any]:
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    # surrogatepass: an unpaired surrogate must not break the digest; validation rejects the event for it.
    digest = hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()[:DIGEST_LENGTH]
    modified = resource.get("date_modified_gmt") or resource.get("date_created_gmt")
    return {
        "id": f"wc-{_topic(delivery.topic)}-{_text(resource['id'])}-{modified}-{digest}",
        "type": event_type.value,
        "occurred_at": occurred_at,
        "data": data,
        "woocommerce": delivery.as_record(),
    }


def _occurred_at(resource: Mapping[str, Any]) -> str:
    moment = _utc(resource.get("date_modified_gmt")) or _utc(resource.get("date_created_gmt"))
    if moment is None:
        raise UnusablePayload("The webhook body has neither date_modified_gmt nor date_created_gmt.")
    return moment


def _utc(value: Any) -> str | None:
    """A WooCommerce ``*_gmt`` time (``2026-11-20T06:30:00``, no offset) as UTC (``…Z``); None if unset."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if text.endswith(("Z", "z")) or "+" in text[10:] or "-" in text[10:]:
        return text
    return f"{text}Z"


def _text(value: Any) -> str:
    return str(value).strip() if value is not None else ""


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _mappings(value: Any) -> list[Mapping[str, Any]]:
    return [entry for entry in value if isinstance(entry, Mapping)] if isinstance(value, list) else []


def _billing(billing: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "phone": billing.get("phone"),
        "email": billing.get("email"),
        "first_name": billing.get("first_name"),
        "last_name": billing.get("last_name"),
        "city": billing.get("city"),
    }


def _item(line: Mapping[str, Any]) -> dict[str, Any]:
    # WooCommerce's product_id is the parent product for a variation, as the unified schema wants.
    return {
        "product_id": _text(line.get("product_id")),
        "name": _text(line.get("name")),
        "sku": _text(line.get("sku")),
        "quantity": line.get("quantity"),
        "total": line.get("total"),
    }


def _lines_subtotal(order: Mapping[str, Any]) -> Any:
    """The sum of the lines before discounts (WooCommerce orders carry no order-level subtotal).

    A line subtotal that is not a number is returned as it is, so validation rejects the event naming it.
    """
    total = Decimal(0)
    for line in _mappings(order.get("line_items")):
        value = line.get("subtotal") or 0
        try:
            total += Decimal(str(value))
        except ArithmeticError:  # not a number (InvalidOperation), or too large to add up (Overflow)
            return value
    return str(total)


def _refunded(total: Any) -> Any:
    """A refund's amount as a positive amount; WooCommerce lists refunds with a negative ``total``."""
    try:
        return str(abs(Decimal(str(total))))
    except ArithmeticError:  # not a number, or too large: left as sent, so validation names the field
        return total
