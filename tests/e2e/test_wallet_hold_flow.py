"""A store with an empty wallet: its journey waits, the owner sees the hold, and after a top-up everything
goes on by itself — the run charged once, the cashback granted once, the SMS sent and charged once.

Everything is real: the ASGI app over the test PostgreSQL and Redis, the REST events route with a store key,
an arq worker draining the queue, the Kavenegar adapter talking HTTP to a local Kavenegar, and the top-up's
wake-up as the payment callback sends it.
"""

from __future__ import annotations

from uuid import UUID

from arq.connections import ArqRedis
from starlette.applications import Starlette

from domain.billing import holds, wallet
from domain.billing.models import WalletEntry
from domain.tenancy.models import Membership
from revisit.services import ServiceUrls
from revisit.settings import Settings
from revisit.wakeups import QueueWakeups
from tests.e2e.test_cashback_flow import ACTIVATE, CASHBACK, CREATE_AUTOMATION, CREATE_KEY, store_events
from tests.support.api import ApiClient
from tests.support.kavenegar_server import running_kavenegar
from tests.support.worker import drain_queue

REGISTER = "mutation($input: RegisterInput!) { register(input: $input) { accessToken errors { code } } }"
SETTINGS = 'mutation { setBillingSettings(ownerPhone: "09121110000") { errors { code } } }'
WALLET = "query { wallet { balance available hold { reason needed } } }"
MESSAGES = "query { outboundMessages { edges { node { status phone parts } } } }"
RUNS = "query { automationRuns { edges { node { state } } } }"
OWNER = "+989121110000"


async def test_an_empty_wallet_holds_the_journey_and_a_top_up_resumes_it(
    app: Starlette, client: ApiClient, redis: ArqRedis, settings: Settings, service_urls: ServiceUrls
) -> None:
    """Nothing is sent on credit, nothing is lost, nothing is done twice."""
    async with running_kavenegar(api_key="kavenegar-key") as kavenegar:
        worker_settings = settings.model_copy(
            update={
                "sms_provider": "kavenegar",
                "kavenegar_api_key": "kavenegar-key",
                "kavenegar_base_url": kavenegar.base_url,
            }
        )
        # given: a new store (its wallet empty) with the owner's phone and an active cashback journey
        registered = await client.graphql(
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
        owner = registered.ok()["register"]["accessToken"]
        assert (await client.graphql(SETTINGS, token=owner)).ok()["setBillingSettings"]["errors"] == []
        store_key = (await client.graphql(CREATE_KEY, token=owner)).ok()["createStoreKey"]["token"]
        journey = (
            await client.graphql(
                CREATE_AUTOMATION, {"input": {"name": "Cashback", "definition": CASHBACK}}, token=owner
            )
        ).ok()["createAutomation"]["automation"]
        await client.graphql(ACTIVATE, {"id": journey["id"]}, token=owner)
        tenant_id = UUID(str((await Membership.get(role="owner")).tenant_id))  # type: ignore[attr-defined]

        # when: an order completes while the wallet is empty
        batch = {"events": store_events("completed", "2026-11-20T10:00:00+03:30")}
        accepted = await client.http.post(
            "/rest/v1/events", json=batch, headers={"Authorization": f"Bearer {store_key}"}
        )
        await drain_queue(worker_settings, service_urls)

        # then: the run waits, nothing reached the customer, and the owner sees the hold
        assert accepted.status_code == 202
        held = (await client.graphql(WALLET, token=owner)).ok()["wallet"]
        assert held == {"balance": 0, "available": 0, "hold": {"reason": "insufficient_funds", "needed": 500}}
        assert [
            e["node"]["state"]
            for e in (await client.graphql(RUNS, token=owner)).ok()["automationRuns"]["edges"]
        ] == ["PENDING"]
        assert [r["receptor"] for r in kavenegar.received if r["receptor"] != OWNER] == []

        # when: the store tops up (as a confirmed payment does) and the callback wakes the worker
        await wallet.top_up(tenant_id, amount=100_000, key="zarinpal:A1", reference="zarinpal:A1")
        await holds.funds_added(tenant_id)
        await QueueWakeups(redis).funds_added(tenant_id)
        await drain_queue(worker_settings, service_urls)

        # then: the run went on, the customer's SMS and the owner's notice went out, each charge once
        runs = (await client.graphql(RUNS, token=owner)).ok()["automationRuns"]["edges"]
        assert [e["node"]["state"] for e in runs] == ["COMPLETED"]
        messages = (await client.graphql(MESSAGES, token=owner)).ok()["outboundMessages"]["edges"]
        assert sorted((m["node"]["phone"], m["node"]["status"]) for m in messages) == [
            (OWNER, "SENT"),
            ("+989121234567", "SENT"),
        ]
        assert sorted(r["receptor"] for r in kavenegar.received) == [OWNER, "+989121234567"]
        [customer_sms] = [m["node"] for m in messages if m["node"]["phone"] != OWNER]
        charges = await WalletEntry.filter(tenant_id=tenant_id, kind="charge").values_list(
            "charge_kind", "amount"
        )
        assert sorted(charges) == [("journey_run", 500), ("sms", customer_sms["parts"] * 1_500)]
        after = (await client.graphql(WALLET, token=owner)).ok()["wallet"]
        assert after["hold"] is None
        assert after["balance"] == 100_000 - sum(amount for _, amount in charges)
        assert await wallet.ledger_sums(tenant_id) == await wallet.balance(tenant_id)
