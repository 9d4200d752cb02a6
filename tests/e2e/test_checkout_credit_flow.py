"""Credit earned, then spent at checkout, as a store lives it: cashback from the real engine → quote →
hold → the order event captures it once → the order is cancelled → the credit comes back.

Everything is real: the ASGI app over the test PostgreSQL and Redis, the REST routes with a store key,
an arq worker draining the queue.
"""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette

from revisit.services import ServiceUrls
from revisit.settings import Settings
from tests.support.api import ApiClient
from tests.support.factories import fund_every_store
from tests.support.worker import drain_queue

REGISTER = """
mutation($input: RegisterInput!) {
  register(input: $input) { accessToken errors { code message } }
}
"""
CREATE_KEY = 'mutation { createStoreKey(name: "woocommerce") { token errors { code } } }'
CREATE_AUTOMATION = """
mutation($input: AutomationInput!) {
  createAutomation(input: $input) { automation { id } errors { code field message } }
}
"""
ACTIVATE = "mutation($id: ID!) { activateAutomation(id: $id) { automation { status } errors { code } } }"
CUSTOMERS = "query { customers { nodes { id } } }"
LEDGER = "query($c: ID!) { creditLedger(customerId: $c) { nodes { kind amount note } } }"

CASHBACK = {
    "trigger": "order.completed",
    "conditions": [{"type": "order_total", "op": "gte", "amount": 500000}],
    "steps": [{"type": "grant_cashback", "percent": "10", "cap": 200000, "available_after_days": 0}],
}
SARA = {"external_id": "57", "phone": "۰۹۱۲۱۲۳۴۵۶۷"}


def order(
    event_id: str, external_id: str, *, status: str, at: str, total: str, credit_used: str = "0"
) -> dict[str, Any]:
    return {
        "id": event_id,
        "type": "order.updated",
        "occurred_at": at,
        "data": {
            "external_id": external_id,
            "status": status,
            "currency": "IRT",
            "total": total,
            "shipping_total": "50000",
            "credit_used": credit_used,
            "customer": {"external_id": "57", "phone": "09121234567", "first_name": "سارا"},
        },
    }


async def test_cashback_is_spent_at_checkout_once_and_comes_back_when_the_order_is_cancelled(
    app: Starlette, client: ApiClient, settings: Settings, service_urls: ServiceUrls
) -> None:
    """Quote, hold, capture (sent twice, taken once), cancel (credit back), all through the plugin routes."""
    # given: a store with a 10 % cashback automation, and Sara's completed order of 1,250,000 toman
    owner = (
        await client.graphql(
            REGISTER,
            {
                "input": {
                    "email": "sara@shop.ir",
                    "password": "a long password",
                    "storeName": "چای",
                    "currency": "IRT",
                }
            },
        )
    ).ok()["register"]["accessToken"]
    await fund_every_store()  # a new store's wallet is empty; this test is not about billing
    key = (await client.graphql(CREATE_KEY, token=owner)).ok()["createStoreKey"]["token"]
    automation = (
        await client.graphql(
            CREATE_AUTOMATION, {"input": {"name": "Cashback", "definition": CASHBACK}}, token=owner
        )
    ).ok()["createAutomation"]["automation"]
    await client.graphql(ACTIVATE, {"id": automation["id"]}, token=owner)
    headers = {"Authorization": f"Bearer {key}"}
    first_order = order("o-1042", "1042", status="completed", at="2026-11-20T10:00:00+03:30", total="1250000")
    await client.http.post("/rest/v1/events", json={"events": [first_order]}, headers=headers)
    await drain_queue(settings, service_urls)

    # when: at her next checkout the plugin asks what she can spend, and holds 50,000 for order 2001
    quote = await client.http.post(
        "/rest/v1/credit/quote",
        json={"customer": SARA, "cart_total": "300000", "currency": "IRT"},
        headers=headers,
    )
    hold = await client.http.post(
        "/rest/v1/credit/hold",
        json={"order_external_id": "2001", "customer": SARA, "amount": "50000", "currency": "IRT"},
        headers=headers,
    )

    # then: 10 % of (1,250,000 − 50,000) = 120,000 was earned; the hold leaves 70,000
    assert quote.json() == {
        "customer_found": True,
        "available": "120000",
        "max_usable": "120000",
        "currency": "IRT",
    }
    assert hold.json() == {
        "order_external_id": "2001",
        "held": "50000",
        "available": "70000",
        "currency": "IRT",
    }

    # when: the order arrives with credit_used, is resent, and moves on (still using the same credit)
    placed = order(
        "o-2001-a",
        "2001",
        status="processing",
        at="2026-11-22T10:00:00+03:30",
        total="300000",
        credit_used="50000",
    )
    on_hold = {**placed, "id": "o-2001-b", "occurred_at": "2026-11-22T10:05:00+03:30"}
    on_hold["data"] = {**placed["data"], "status": "on-hold"}
    for batch in ([placed], [placed], [on_hold]):
        await client.http.post("/rest/v1/events", json={"events": batch}, headers=headers)
        await drain_queue(settings, service_urls)
    after_capture = await client.http.post(
        "/rest/v1/credit/quote",
        json={"customer": SARA, "cart_total": "0", "currency": "IRT"},
        headers=headers,
    )

    # then: the balance went down exactly once
    assert after_capture.json()["available"] == "70000"

    # when: the store cancels order 2001
    cancelled = {**placed, "id": "o-2001-c", "occurred_at": "2026-11-22T12:00:00+03:30"}
    cancelled["data"] = {**placed["data"], "status": "cancelled"}
    await client.http.post("/rest/v1/events", json={"events": [cancelled]}, headers=headers)
    await drain_queue(settings, service_urls)

    # then: the 50,000 is back, once, and the ledger tells the story
    final = await client.http.post(
        "/rest/v1/credit/quote",
        json={"customer": SARA, "cart_total": "0", "currency": "IRT"},
        headers=headers,
    )
    assert final.json()["available"] == "120000"
    customer = (await client.graphql(CUSTOMERS, token=owner)).ok()["customers"]["nodes"][0]["id"]
    ledger = (await client.graphql(LEDGER, {"c": customer}, token=owner)).ok()["creditLedger"]["nodes"]
    assert sorted((line["kind"], line["amount"]) for line in ledger) == [
        ("cashback", 120000),
        ("redemption", -50000),
        ("return", 50000),
    ]
