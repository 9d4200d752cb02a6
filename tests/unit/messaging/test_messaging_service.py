"""Queueing and delivering SMS: once per origin, opt-outs honoured, one provider call per message."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from domain.messaging import service as messaging
from domain.messaging.kavenegar import KavenegarProvider
from domain.messaging.models import OutboundMessage
from domain.messaging.providers import ConsoleProvider, RetryableSendError, SendResult
from domain.tenancy.models import Tenant
from tests.support.automation import make_customer, make_tenant
from tests.support.kavenegar_server import KavenegarServer, running_kavenegar

API_KEY = "kavenegar-test-key"


class FlakyProvider:
    """Fails transiently a given number of times, then takes every message."""

    name = "flaky"

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls = 0

    async def send(self, *, receptor: str, message: str, sender: str | None, local_id: str) -> SendResult:
        self.calls += 1
        if self.calls <= self.failures:
            raise RetryableSendError("busy")
        return SendResult(f"flaky-{self.calls}", "queued")


@pytest.fixture
async def kavenegar() -> AsyncIterator[KavenegarServer]:
    async with running_kavenegar(api_key=API_KEY) as server:
        yield server


async def queue(
    tenant: Tenant, *, purpose: str = "transactional", body: str = "سلام", **customer: Any
) -> OutboundMessage:
    """Queue one message to a new customer of ``tenant`` (``customer``: make_customer's options)."""
    person = await make_customer(tenant, **customer)
    return await messaging.queue_sms(
        tenant=tenant, customer=person, origin_key="run:1:step:0", purpose=purpose, body=body
    )


async def test_queueing_twice_for_one_origin_keeps_one_message(db: None) -> None:
    """The origin key makes queueing idempotent: the second call returns the first row."""
    # given
    tenant = await make_tenant()
    customer = await make_customer(tenant)
    # when
    first, second = [
        await messaging.queue_sms(
            tenant=tenant, customer=customer, origin_key="run:1:step:0", purpose="transactional", body=body
        )
        for body in ("first", "second")
    ]
    # then
    assert second.id == first.id and second.body == "first"
    assert (first.status, first.phone, first.encoding, first.parts) == ("queued", customer.phone, "GSM-7", 1)
    assert await OutboundMessage.all().count() == 1


async def test_marketing_to_an_opted_out_customer_is_recorded_as_suppressed(db: None) -> None:
    """Opted-out customers get no marketing; the row says why, so reports can count it."""
    # given
    tenant = await make_tenant()
    # when
    message = await queue(tenant, purpose="marketing", marketing_consent=False)
    # then
    assert (message.status, message.failure_reason) == ("suppressed", "opted out")
    transactional = await messaging.queue_sms(
        tenant=tenant,
        customer=await make_customer(tenant, marketing_consent=False),
        origin_key="receipt",
        purpose="transactional",
        body="رسید",
    )
    assert transactional.status == "queued"


async def test_marketing_gets_the_opt_out_footer_once(db: None) -> None:
    """The footer is added to marketing bodies, not twice, and counts in the parts."""
    # given
    tenant = await make_tenant()
    # when
    plain = await queue(tenant, purpose="marketing", body="تخفیف ویژه")
    footed = await messaging.queue_sms(
        tenant=tenant,
        customer=await make_customer(tenant),
        origin_key="other",
        purpose="marketing",
        body="تخفیف ویژه\nلغو۱۱",
    )
    # then
    assert plain.body == footed.body == "تخفیف ویژه\nلغو۱۱"
    assert plain.encoding == "UCS-2"


async def test_delivering_twice_calls_the_provider_once(db: None) -> None:
    """A sent message is not sent again when its job runs a second time."""
    # given
    tenant = await make_tenant()
    message = await queue(tenant)
    provider = ConsoleProvider()
    # when
    first = await messaging.deliver(message_id=message.id, provider=provider, sender=None)
    second = await messaging.deliver(message_id=message.id, provider=provider, sender=None)
    # then
    assert len(provider.sent) == 1
    assert provider.sent[0].local_id == str(message.id)
    assert (first.status, first.provider, first.attempts) == ("sent", "console", 1)
    assert first.provider_message_id == provider.sent[0].provider_message_id and first.sent_at is not None
    assert second.status == "sent" and second.attempts == 1


async def test_a_suppressed_message_is_never_delivered(db: None) -> None:
    """Delivery only sends queued messages."""
    # given
    tenant = await make_tenant()
    message = await queue(tenant, purpose="marketing", marketing_consent=False)
    provider = ConsoleProvider()
    # when
    result = await messaging.deliver(message_id=message.id, provider=provider, sender=None)
    # then
    assert result.status == "suppressed" and provider.sent == []


async def test_transient_failures_keep_the_message_queued_until_the_last_attempt(db: None) -> None:
    """Each retryable failure is re-raised for the job to retry; after the last attempt it is failed."""
    # given
    tenant = await make_tenant()
    message = await queue(tenant)
    provider = FlakyProvider(failures=messaging.MAX_ATTEMPTS)
    # when
    for _ in range(messaging.MAX_ATTEMPTS - 1):
        with pytest.raises(RetryableSendError):
            await messaging.deliver(message_id=message.id, provider=provider, sender=None)
    waiting = await OutboundMessage.get(id=message.id)
    last = await messaging.deliver(message_id=message.id, provider=provider, sender=None)
    # then
    assert (waiting.status, waiting.attempts, waiting.failure_reason) == ("queued", 4, "busy")
    assert (last.status, last.attempts) == ("failed", messaging.MAX_ATTEMPTS)
    assert last.failure_reason == "Gave up after 5 attempts: busy"


async def test_kavenegar_busy_keeps_the_message_queued_and_a_retry_sends_it(
    db: None, kavenegar: KavenegarServer
) -> None:
    """409 (server busy) is retryable; the retry goes out with the same localid, once."""
    # given
    tenant = await make_tenant()
    tenant.sender_line = "10008663"
    await tenant.save()
    message = await queue(tenant)
    kavenegar.fail_next(409)
    # when
    async with KavenegarProvider(API_KEY, base_url=kavenegar.base_url, timeout=2.0) as provider:
        with pytest.raises(RetryableSendError):
            await messaging.deliver(message_id=message.id, provider=provider, sender="10004346")
        busy = await OutboundMessage.get(id=message.id)
        sent = await messaging.deliver(message_id=message.id, provider=provider, sender="10004346")
    # then
    assert busy.status == "queued" and busy.failure_reason is not None and "409" in busy.failure_reason
    assert (sent.status, sent.provider, sent.attempts) == ("sent", "kavenegar", 2)
    assert [request["localid"] for request in kavenegar.received] == [str(message.id)]
    assert kavenegar.received[0]["sender"] == "10008663"  # the store's own line wins


async def test_kavenegar_invalid_receptor_fails_the_message(db: None, kavenegar: KavenegarServer) -> None:
    """411 (receptor invalid) is permanent: the message is failed with Kavenegar's reason."""
    # given
    tenant = await make_tenant()
    message = await queue(tenant)
    kavenegar.fail_next(411)
    # when
    async with KavenegarProvider(API_KEY, base_url=kavenegar.base_url, timeout=2.0) as provider:
        failed = await messaging.deliver(message_id=message.id, provider=provider, sender=None)
    # then
    assert (failed.status, failed.attempts) == ("failed", 1)
    assert failed.failure_reason is not None and failed.failure_reason.startswith("Kavenegar 411")
    assert kavenegar.received == []
