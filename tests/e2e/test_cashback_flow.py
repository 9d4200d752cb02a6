"""The whole slice as a store lives it: order in → cashback credited → SMS out → refund → credit reversed.

Everything is real: the ASGI app over the test PostgreSQL and Redis, the REST route with a store key,
an arq worker draining the queue, the Kavenegar adapter talking HTTP to a local Kavenegar.
"""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette

from revisit.services import ServiceUrls
from revisit.settings import Settings
from tests.support.api import ApiClient
from tests.support.factories import fund_every_store
from tests.support.kavenegar_server import running_kavenegar
from tests.support.worker import drain_queue

REGISTER = """
mutation($input: RegisterInput!) {
  register(input: $input) { accessToken tenant { id } errors { code message } }
}
"""
CREATE_KEY = 'mutation { createStoreKey(name: "woocommerce") { token errors { code } } }'
CREATE_AUTOMATION = """
mutation($input: AutomationInput!) {
  createAutomation(input: $input) { automation { id } errors { code field message } }
}
"""
ACTIVATE = "mutation($id: ID!) { activateAutomation(id: $id) { automation { status } errors { code } } }"
CUSTOMERS = "query { customers { edges { node { id phone ordersCount totalSpent } } } }"
CREDIT = "query($c: ID!) { creditAccount(customerId: $c) { available pending currency } }"
LEDGER = "query($c: ID!) { creditLedger(customerId: $c) { edges { node { kind amount } } } }"
MESSAGES = "query { outboundMessages { edges { node { status phone body parts providerMessageId } } } }"

CASHBACK = {
    "trigger": "order.completed",
    "conditions": [{"type": "order_total", "op": "gte", "amount": 500000}],
    "steps": [
        {"type": "grant_cashback", "percent": "10", "cap": 200000, "available_after_days": 0},
        {
            "type": "send_sms",
            "purpose": "transactional",
            "template": "{first_name} عزیز، {credit} اعتبار در {store} گرفتید. موجودی: {balance}",
        },
    ],
}


def store_events(status: str, at: str) -> list[dict[str, Any]]:
    return [
        {
            "id": "customer-57",
            "type": "customer.created",
            "occurred_at": "2026-11-01T09:00:00+03:30",
            "data": {"external_id": "57", "phone": "۰۹۱۲۱۲۳۴۵۶۷", "first_name": "سارا", "last_name": "احمدی"},
        },
        {
            "id": f"order-1042-{status}",
            "type": "order.updated",
            "occurred_at": at,
            "data": {
                "external_id": "1042",
                "status": status,
                "currency": "IRT",
                "total": "1250000.00",
                "shipping_total": "50000.00",
                "items": [{"product_id": "88", "name": "چای ماسالا", "quantity": 2, "total": "1200000.00"}],
                "customer": {"external_id": "57"},
            },
        },
    ]


async def test_completed_order_earns_cashback_and_an_sms_and_a_refund_takes_it_back(
    app: Starlette, client: ApiClient, settings: Settings, service_urls: ServiceUrls
) -> None:
    """The first end-to-end slice, including a retried batch that changes nothing."""
    async with running_kavenegar(api_key="kavenegar-key") as kavenegar:
        worker_settings = settings.model_copy(
            update={
                "sms_provider": "kavenegar",
                "kavenegar_api_key": "kavenegar-key",
                "kavenegar_base_url": kavenegar.base_url,
            }
        )
        # given: an owner with a store key and an active 10 % cashback automation
        registered = (
            await client.graphql(
                REGISTER,
                {
                    "input": {
                        "email": "sara@shop.ir",
                        "password": "a long password",
                        "storeName": "چای‌خانه",
                        "currency": "IRT",
                    }
                },
            )
        ).ok()["register"]
        await fund_every_store()  # a new store's wallet is empty; this test is not about billing
        owner = registered["accessToken"]
        store_key = (await client.graphql(CREATE_KEY, token=owner)).ok()["createStoreKey"]["token"]
        automation = (
            await client.graphql(
                CREATE_AUTOMATION, {"input": {"name": "Cashback", "definition": CASHBACK}}, token=owner
            )
        ).ok()["createAutomation"]
        assert automation["errors"] == []
        activated = await client.graphql(ACTIVATE, {"id": automation["automation"]["id"]}, token=owner)
        assert activated.ok()["activateAutomation"]["automation"]["status"] == "ACTIVE"
        headers = {"Authorization": f"Bearer {store_key}"}

        # when: the store reports a completed order (and, retrying, sends the same batch again)
        batch = {"events": store_events("completed", "2026-11-20T10:00:00+03:30")}
        first = await client.http.post("/rest/v1/events", json=batch, headers=headers)
        await drain_queue(worker_settings, service_urls)
        retry = await client.http.post("/rest/v1/events", json=batch, headers=headers)
        await drain_queue(worker_settings, service_urls)

        # then: 10 % of (1,250,000 − 50,000 shipping) = 120,000 toman, spendable now, and one SMS
        assert first.status_code == retry.status_code == 202
        assert [r["status"] for r in retry.json()["results"]] == ["duplicate", "duplicate"]
        customer = (await client.graphql(CUSTOMERS, token=owner)).ok()["customers"]["edges"][0]["node"]
        assert (customer["phone"], customer["ordersCount"], customer["totalSpent"]) == (
            "+989121234567",
            1,
            1250000,
        )
        credit = (await client.graphql(CREDIT, {"c": customer["id"]}, token=owner)).ok()["creditAccount"]
        assert credit == {"available": 120000, "pending": 0, "currency": "IRT"}
        assert len(kavenegar.received) == 1
        sms = kavenegar.received[0]
        assert sms["receptor"] == "+989121234567"
        assert "سارا عزیز" in sms["message"] and "۱۲۰٬۰۰۰ تومان" in sms["message"]
        messages = (await client.graphql(MESSAGES, token=owner)).ok()["outboundMessages"]["edges"]
        assert [m["node"]["status"] for m in messages] == ["SENT"]
        assert messages[0]["node"]["providerMessageId"] == str(kavenegar.entries[0]["messageid"])
        assert sms["localid"]

        # when: the store refunds the order in full
        refund = {
            "events": [
                {
                    "id": "refund-77",
                    "type": "order.refunded",
                    "occurred_at": "2026-11-21T10:00:00+03:30",
                    "data": {
                        "order_external_id": "1042",
                        "refund_id": "77",
                        "amount": "1250000",
                        "currency": "IRT",
                    },
                }
            ]
        }
        await client.http.post("/rest/v1/events", json=refund, headers=headers)
        await drain_queue(worker_settings, service_urls)

        # then: the cashback is reversed, the balance is zero, and no further SMS went out
        credit = (await client.graphql(CREDIT, {"c": customer["id"]}, token=owner)).ok()["creditAccount"]
        assert (credit["available"], credit["pending"]) == (0, 0)
        ledger = (await client.graphql(LEDGER, {"c": customer["id"]}, token=owner)).ok()["creditLedger"][
            "edges"
        ]
        assert sorted((e["node"]["kind"], e["node"]["amount"]) for e in ledger) == [
            ("cashback", 120000),
            ("reversal", -120000),
        ]
        assert len(kavenegar.received) == 1
