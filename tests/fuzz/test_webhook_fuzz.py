"""WooCommerce webhook deliveries with one field spoiled, signed as WooCommerce signs them.

A delivery that is authentic is always answered (200 with per-event results, WooCommerce disables a
webhook that keeps failing), whatever one of its fields carries: hostile text, any JSON, nesting past
the cap, dates WooCommerce writes for "never" (``0000-00-00 00:00:00``) or at the ends of the calendar.
The events it becomes are then processed without an unexpected failure (``INTERNAL: …``).
"""

from __future__ import annotations

import itertools
from typing import Any, Final

import pytest_asyncio
from hypothesis import given
from hypothesis import strategies as st

from domain.events.models import IngestedEvent
from domain.events.processing import process_pending
from tests.fuzz.hostile import FUZZ, amounts, deep_json, encode, hostile_text, json_values
from tests.support.api import ApiClient
from tests.support.events import NOW
from tests.support.factories import Owner, make_owner
from tests.support.woocommerce import (
    WEBHOOK_PATH,
    WebhookConnection,
    connect_webhooks,
    signature,
    wc_customer,
    wc_order,
)

ORDER_PATHS: Final[list[tuple[str | int, ...]]] = [
    ("id",),
    ("number",),
    ("status",),
    ("currency",),
    ("total",),
    ("discount_total",),
    ("shipping_total",),
    ("customer_id",),
    ("date_created_gmt",),
    ("date_modified_gmt",),
    ("date_completed_gmt",),
    ("date_paid_gmt",),
    ("transaction_id",),
    ("payment_method",),
    ("billing",),
    ("billing", "phone"),
    ("billing", "email"),
    ("billing", "first_name"),
    ("line_items",),
    ("line_items", 0),
    ("line_items", 0, "product_id"),
    ("line_items", 0, "variation_id"),
    ("line_items", 0, "quantity"),
    ("line_items", 0, "total"),
    ("line_items", 0, "name"),
    ("line_items", 0, "sku"),
    ("coupon_lines",),
    ("coupon_lines", 0, "code"),
    ("refunds",),
    ("refunds", 0),
    ("refunds", 0, "id"),
    ("refunds", 0, "total"),
    ("refunds", 0, "reason"),
    ("meta_data",),
]
CUSTOMER_PATHS: Final[list[tuple[str | int, ...]]] = [
    ("id",),
    ("email",),
    ("first_name",),
    ("date_created_gmt",),
    ("date_modified_gmt",),
    ("billing",),
    ("billing", "phone"),
    ("billing", "city"),
]
WOOCOMMERCE_DATES = st.sampled_from(
    [
        "0000-00-00 00:00:00",
        "0001-01-01T00:00:00",
        "9999-12-31T23:59:59",
        "2026-02-30T10:00:00",
        "2026-11-20",
        "2026-11-20T10:00:00+03:30",
        "",
    ]
)
SPOILERS = st.one_of(hostile_text, json_values, deep_json, amounts, WOOCOMMERCE_DATES)
DELIVERIES = itertools.count()


def _spoiled(payload: dict[str, Any], path: tuple[str | int, ...], value: Any) -> dict[str, Any]:
    target: Any = payload
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return payload


SPOILED = st.one_of(
    st.tuples(
        st.just("order.updated"),
        st.builds(
            lambda path, value: _spoiled(wc_order(), path, value), st.sampled_from(ORDER_PATHS), SPOILERS
        ),
    ),
    st.tuples(
        st.just("customer.updated"),
        st.builds(
            lambda path, value: _spoiled(wc_customer(), path, value),
            st.sampled_from(CUSTOMER_PATHS),
            SPOILERS,
        ),
    ),
)


@pytest_asyncio.fixture(loop_scope="session")
async def store(client: ApiClient) -> tuple[Owner, WebhookConnection]:
    """One store for all of a test's examples, connected through WooCommerce webhooks."""
    owner = await make_owner()
    return owner, await connect_webhooks(owner)


@FUZZ
@given(delivery=SPOILED)
async def test_a_spoiled_delivery_is_answered_and_its_events_process_without_internal_errors(
    client: ApiClient, store: tuple[Owner, WebhookConnection], delivery: tuple[str, dict[str, Any]]
) -> None:
    """200 with a result per event (or a documented 4xx for a body past the caps), then processing."""
    # given
    owner, webhooks = store
    topic, payload = delivery
    body = encode(payload)
    # when
    response = await client.http.post(
        WEBHOOK_PATH,
        params={"key": webhooks.public_id},
        content=body,
        headers={
            "Content-Type": "application/json",
            "X-WC-Webhook-Topic": topic,
            "X-WC-Webhook-Signature": signature(body, webhooks.secret),
            "X-WC-Webhook-Delivery-ID": f"delivery-{next(DELIVERIES)}",
        },
    )
    await process_pending(tenant_id=owner.tenant.id, now=NOW)
    # then
    assert response.status_code in {200, 400}, response.text[:500]
    if response.status_code == 200:
        answer = response.json()
        assert answer["accepted"] + answer["duplicates"] + answer["rejected"] == len(answer["results"])
    else:
        assert response.json()["error"]["code"] == "TOO_DEEP"
    broken = await IngestedEvent.filter(tenant_id=owner.tenant.id, error__startswith="INTERNAL").values(
        "event_id", "error", "payload"
    )
    assert not broken, broken
