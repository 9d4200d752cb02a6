"""A store that ran out of money tops up through Zarinpal and goes on by itself.

Everything is real: the ASGI app over the test PostgreSQL and Redis, the Zarinpal adapter talking HTTP to
a local Zarinpal (request, StartPay, verify), the payer's browser following StartPay's redirect back to
the callback, the arq worker with the Kavenegar adapter talking to a local Kavenegar.

start → pay at the gateway → callback (and again) → the wallet credited once → the hold lifted, the
worker woken → the SMS that waited for funds goes out, once.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from arq.connections import ArqRedis

from domain.billing import holds, wallet
from domain.billing.models import WalletEntry
from domain.messaging.models import OutboundMessage
from domain.messaging.service import queue_to_phone
from domain.payments.models import TopUp
from domain.tenancy import service as tenancy
from domain.tenancy.security import issue_access_token
from jobs.messaging import enqueue_deliveries
from revisit.services import ServiceUrls
from revisit.settings import Settings
from tests.support.api import ApiClient
from tests.support.factories import TEST_SECRET
from tests.support.kavenegar_server import running_kavenegar
from tests.support.worker import drain_queue
from tests.support.zarinpal_server import ZarinpalServer

START = """
mutation { startTopUp(amount: 1000000, clientKey: "first-top-up") {
  topUp { id status } paymentUrl errors { code message } } }
"""
TOP_UPS = "query { topUps { nodes { id status amount refId receiptUrl } } }"
PHONE = "+989121234567"


@pytest.fixture
def zarinpal() -> Iterator[ZarinpalServer]:
    with ZarinpalServer() as server:
        yield server


@pytest.fixture
def settings(tmp_path: Path, zarinpal: ZarinpalServer) -> Settings:
    return Settings(
        data_dir=tmp_path,
        secret_key=TEST_SECRET,
        log_json=False,
        public_url="https://revisit.example",
        zarinpal_merchant_id=zarinpal.merchant_id,
        zarinpal_base_url=zarinpal.base_url,
    )


async def test_a_store_on_hold_tops_up_through_zarinpal_and_its_waiting_sms_goes_out(
    client: ApiClient,
    redis: ArqRedis,
    settings: Settings,
    service_urls: ServiceUrls,
    zarinpal: ZarinpalServer,
) -> None:
    """The whole top-up as an owner and a payer live it, with a repeated callback that changes nothing."""
    async with running_kavenegar(api_key="kavenegar-key") as kavenegar:
        worker_settings = settings.model_copy(
            update={
                "sms_provider": "kavenegar",
                "kavenegar_api_key": "kavenegar-key",
                "kavenegar_base_url": kavenegar.base_url,
            }
        )
        # given: a store with an empty wallet whose SMS could not be paid, so it is on hold
        user, tenant = await tenancy.register_owner(
            email="sara@shop.ir",
            password="correct horse battery",
            full_name="Sara",
            tenant_in=tenancy.TenantIn(name="چای‌خانه", currency="IRT", locale="fa", timezone="Asia/Tehran"),
        )
        token = issue_access_token(user.id, secret=TEST_SECRET, minutes=30)
        message = await queue_to_phone(
            tenant=tenant,
            phone=PHONE,
            origin_key="test:receipt-1042",
            purpose="transactional",
            body="سفارش شما",
        )
        await enqueue_deliveries(redis, [message.id])
        await drain_queue(worker_settings, service_urls)
        assert await holds.on_hold(tenant.id) is not None
        assert (await OutboundMessage.get(id=message.id)).status == "queued"
        assert kavenegar.received == []

        # when: the owner starts a top-up, pays at Zarinpal, and the browser comes back (twice)
        started = (await client.graphql(START, token=token)).ok()["startTopUp"]
        async with httpx.AsyncClient() as browser:
            paid = await browser.get(started["paymentUrl"], params={"pay": "OK"})
        back = urlsplit(paid.headers["location"])
        callback = f"{back.path}?{back.query}"
        first = await client.http.get(callback)
        again = await client.http.get(callback)
        await drain_queue(worker_settings, service_urls)

        # then: paid once, the hold lifted, the waiting SMS sent once and charged from the top-up
        assert paid.status_code == 302 and back.netloc == "revisit.example"
        assert first.status_code == again.status_code == 200
        assert "پرداخت انجام شد" in first.text and "پرداخت انجام شد" in again.text
        [node] = (await client.graphql(TOP_UPS, token=token)).ok()["topUps"]["nodes"]
        assert (node["status"], node["amount"]) == ("PAID", 1_000_000)
        assert node["refId"] in first.text
        credits = await WalletEntry.filter(tenant_id=tenant.id, kind="top_up").values_list(
            "amount", flat=True
        )
        assert credits == [1_000_000]
        assert len(zarinpal.verifications) == 1
        assert await holds.on_hold(tenant.id) is None
        sent = await OutboundMessage.get(id=message.id)
        assert sent.status == "sent"
        assert [request["receptor"] for request in kavenegar.received] == [PHONE]
        charged = await WalletEntry.filter(tenant_id=tenant.id, kind="charge").values_list(
            "amount", flat=True
        )
        assert len(charged) == 1
        assert (await wallet.balance(tenant.id)).balance == 1_000_000 - charged[0]
        row = await TopUp.get(id=started["topUp"]["id"])
        assert row.wallet_entry_id is not None
