"""A store's whole history sent out of order, as a backfill does: every refund and payment lands.

A backfill stamps each order with its last change and each refund with its own creation time, and it
may send refunds and payments in an earlier batch than their orders. Through the REST route with a
store key and the real arq worker, every order must end with the refunded amount the store has, and
nothing may be left waiting or failed.
"""

from __future__ import annotations

import random
from typing import Any

from starlette.applications import Starlette

from revisit.services import ServiceUrls
from revisit.settings import Settings
from tests.support.api import ApiClient
from tests.support.factories import make_owner, make_store_key
from tests.support.worker import drain_queue

ORDERS = "query { orders(first: 100) { edges { node { externalId status total refundedTotal } } } }"
EVENTS = """
query($s: String) { ingestedEvents(status: $s, first: 100) { edges { node { eventId waitingFor error } } } }
"""
ORDER_COUNT = 30


def history() -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Thirty orders, each last changed on day 20; every third has one or two refunds made earlier."""
    events: list[dict[str, Any]] = []
    refunded: dict[str, int] = {}
    for number in range(1, ORDER_COUNT + 1):
        order_id = str(1000 + number)
        total = 100_000 * number
        events.append(
            {
                "id": f"order-{order_id}",
                "type": "order.updated",
                "occurred_at": f"2026-11-20T{10 + number % 10:02d}:00:00+03:30",
                "data": {
                    "external_id": order_id,
                    "status": "completed",
                    "currency": "IRT",
                    "total": str(total),
                    "customer": {"external_id": str(number % 7 + 1), "phone": f"0912{number % 7 + 1:07d}"},
                },
            }
        )
        events.append(
            {
                "id": f"payment-{order_id}",
                "type": "payment.completed",
                "occurred_at": f"2026-11-{number % 18 + 1:02d}T09:00:00+03:30",
                "data": {
                    "order_external_id": order_id,
                    "transaction_id": f"T{order_id}",
                    "amount": str(total),
                    "currency": "IRT",
                    "method": "zarinpal",
                },
            }
        )
        refunds = [] if number % 3 else [total // 4] if number % 2 else [total // 4, total // 2]
        for index, amount in enumerate(refunds):
            events.append(
                {
                    "id": f"refund-{order_id}-{index}",
                    "type": "order.refunded",
                    "occurred_at": f"2026-11-{number % 18 + 1:02d}T1{index}:00:00+03:30",
                    "data": {
                        "order_external_id": order_id,
                        "refund_id": f"{order_id}-{index}",
                        "amount": str(amount),
                        "currency": "IRT",
                    },
                }
            )
        refunded[order_id] = sum(refunds)
    return events, refunded


async def test_a_shuffled_backfill_applies_every_refund_and_leaves_nothing_waiting(
    app: Starlette, client: ApiClient, settings: Settings, service_urls: ServiceUrls
) -> None:
    """Refunds and payments sent before their orders (in earlier batches) all land exactly once."""
    # given: a store, and its history shuffled with refunds and payments in the first batches
    owner = await make_owner()
    headers = {"Authorization": f"Bearer {await make_store_key(owner)}"}
    events, refunded = history()
    random.Random(6).shuffle(events)
    events.sort(key=lambda event: event["type"] == "order.updated")  # orders last: the worst case
    # when: sent in batches of 25, the worker running after each, then the whole history once more
    for start in range(0, len(events), 25):
        answer = await client.http.post(
            "/rest/v1/events", json={"events": events[start : start + 25]}, headers=headers
        )
        assert answer.status_code == 202
        await drain_queue(settings, service_urls)
    resent = await client.http.post("/rest/v1/events", json={"events": events[:25]}, headers=headers)
    await drain_queue(settings, service_urls)
    # then: every order has exactly the refunds the store made, and nothing waits or failed
    orders = (await client.graphql(ORDERS, token=owner.token)).ok()["orders"]["edges"]
    assert {edge["node"]["externalId"]: edge["node"]["refundedTotal"] for edge in orders} == refunded
    for status in ("waiting", "failed", "pending"):
        left = (await client.graphql(EVENTS, {"s": status}, token=owner.token)).ok()["ingestedEvents"]
        assert left["edges"] == [], status
    assert {result["status"] for result in resent.json()["results"]} == {"duplicate"}
