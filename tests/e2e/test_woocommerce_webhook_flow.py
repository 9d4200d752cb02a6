"""A store connected only through WooCommerce's own webhooks: completed order in → cashback → refund out.

Everything is real: the ASGI app over the test PostgreSQL and Redis, GraphQL to make the key and the
webhook secret, signed deliveries shaped like WooCommerce's, an arq worker draining the queue.
"""

from __future__ import annotations

from starlette.applications import Starlette

from revisit.services import ServiceUrls
from revisit.settings import Settings
from tests.support.api import ApiClient
from tests.support.factories import fund_every_store
from tests.support.woocommerce import deliver, wc_customer, wc_order
from tests.support.worker import drain_queue

REGISTER = """
mutation($input: RegisterInput!) { register(input: $input) { accessToken errors { code message } } }
"""
CREATE_KEY = 'mutation { createStoreKey(name: "woocommerce webhooks") { storeKey { id prefix } } }'
CREATE_SECRET = "mutation($id: ID!) { createWebhookSecret(storeKeyId: $id) { secret errors { code } } }"
CREATE_AUTOMATION = """
mutation($input: AutomationInput!) {
  createAutomation(input: $input) { automation { id } errors { message } }
}
"""
ACTIVATE = "mutation($id: ID!) { activateAutomation(id: $id) { automation { status } } }"
ORDERS = (
    "query { orders { edges { node { externalId status total refundedTotal couponCodes customerId } } } }"
)
CUSTOMERS = "query { customers { edges { node { id phone firstName ordersCount } } } }"
CREDIT = "query($c: ID!) { creditAccount(customerId: $c) { available } }"
EVENTS = "query { ingestedEvents { edges { node { source type status error } } } }"

CASHBACK = {
    "trigger": "order.completed",
    "conditions": [],
    "steps": [{"type": "grant_cashback", "percent": "10", "available_after_days": 0}],
}


async def test_a_webhook_only_store_gets_its_orders_cashback_and_refunds_into_revisit(
    app: Starlette, client: ApiClient, settings: Settings, service_urls: ServiceUrls
) -> None:
    """Owner sets up a key, a webhook secret and cashback; WooCommerce's deliveries do the rest."""
    # given: an owner with a webhook secret for a new key and an active 10 % cashback automation
    owner = (
        await client.graphql(
            REGISTER,
            {
                "input": {
                    "email": "sara@chai.ir",
                    "password": "a long password",
                    "storeName": "چای",
                    "currency": "IRT",
                }
            },
        )
    ).ok()["register"]["accessToken"]
    await fund_every_store()  # a new store's wallet is empty; this test is not about billing
    key = (await client.graphql(CREATE_KEY, token=owner)).ok()["createStoreKey"]["storeKey"]
    secret = (await client.graphql(CREATE_SECRET, {"id": key["id"]}, token=owner)).ok()[
        "createWebhookSecret"
    ]["secret"]
    automation = (
        await client.graphql(
            CREATE_AUTOMATION, {"input": {"name": "Cashback", "definition": CASHBACK}}, token=owner
        )
    ).ok()["createAutomation"]["automation"]
    await client.graphql(ACTIVATE, {"id": automation["id"]}, token=owner)

    # when: WooCommerce reports the new customer and their completed order, and the worker runs
    created = await deliver(
        client.http, key=key["prefix"], secret=secret, topic="customer.created", payload=wc_customer()
    )
    completed = await deliver(
        client.http, key=key["prefix"], secret=secret, topic="order.updated", payload=wc_order(refunds=[])
    )
    await drain_queue(settings, service_urls)

    # then: the order is in Revisit with its customer, and 10 % of (1,250,000 − 100,000 shipping) is credited
    assert created.status_code == completed.status_code == 200
    order = (await client.graphql(ORDERS, token=owner)).ok()["orders"]["edges"][0]["node"]
    assert (order["externalId"], order["status"], order["total"], order["couponCodes"]) == (
        "1042",
        "completed",
        1250000,
        ["yalda1403"],
    )
    customer = (await client.graphql(CUSTOMERS, token=owner)).ok()["customers"]["edges"][0]["node"]
    assert (customer["phone"], customer["firstName"], customer["ordersCount"]) == ("+989121234567", "سارا", 1)
    assert order["customerId"] == customer["id"]
    credit = (await client.graphql(CREDIT, {"c": customer["id"]}, token=owner)).ok()["creditAccount"]
    assert credit["available"] == 115000

    # when: the store refunds the whole order; WooCommerce sends the order again, now listing the refund
    refunded = wc_order(
        status="refunded",
        date_modified_gmt="2026-11-22T08:00:00",
        refunds=[{"id": 1090, "reason": "انصراف از خرید", "total": "-1250000"}],
    )
    await deliver(client.http, key=key["prefix"], secret=secret, topic="order.updated", payload=refunded)
    await drain_queue(settings, service_urls)

    # then: the refund is recorded, the cashback is taken back, and every event was processed
    order = (await client.graphql(ORDERS, token=owner)).ok()["orders"]["edges"][0]["node"]
    assert (order["status"], order["refundedTotal"]) == ("refunded", 1250000)
    credit = (await client.graphql(CREDIT, {"c": customer["id"]}, token=owner)).ok()["creditAccount"]
    assert credit["available"] == 0
    events = [
        edge["node"] for edge in (await client.graphql(EVENTS, token=owner)).ok()["ingestedEvents"]["edges"]
    ]
    assert {(event["source"], event["status"], event["error"]) for event in events} == {
        ("woocommerce_webhook", "processed", None)
    }
    assert sorted(event["type"] for event in events) == [
        "customer.created",
        "order.refunded",
        "order.updated",
        "order.updated",
    ]
