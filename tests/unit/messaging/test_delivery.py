"""Delivering queued SMS: once per message, due times honoured, and lost answers resolved by look-up."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta

import pytest

from domain.messaging import accounts, delivery
from domain.messaging import service as messaging
from domain.messaging.accounts import ProviderDirectory
from domain.messaging.kavenegar import KavenegarProvider
from domain.messaging.models import OutboundMessage
from domain.messaging.providers import (
    ConsoleProvider,
    DeliveryReport,
    Inbound,
    LookupResult,
    OutcomeUnknownError,
    RetryableSendError,
    SendResult,
    SmsProvider,
)
from domain.tenancy.models import Tenant
from tests.support.automation import make_customer, make_tenant
from tests.support.factories import TEST_SECRET
from tests.support.kavenegar_server import KavenegarServer, running_kavenegar

API_KEY = "kavenegar-test-key"
TEHRAN_NIGHT = datetime(2026, 12, 1, 19, 30, tzinfo=UTC)  # 23:00 in Tehran, inside the default quiet hours


class FlakyProvider(ConsoleProvider):
    """Fails transiently a given number of times, then takes every message."""

    name = "flaky"

    def __init__(self, failures: int) -> None:
        super().__init__()
        self.failures = failures
        self.calls = 0

    async def send(self, *, receptor: str, message: str, sender: str | None, local_id: str) -> SendResult:
        self.calls += 1
        if self.calls <= self.failures:
            raise RetryableSendError("busy")
        return await super().send(receptor=receptor, message=message, sender=sender, local_id=local_id)


def directory(provider: SmsProvider, sender: str | None = None) -> ProviderDirectory:
    return ProviderDirectory(
        platform=provider,
        platform_sender=sender,
        factory=lambda name, key: KavenegarProvider(key),
        encryption_key=accounts.encryption_key(TEST_SECRET),
    )


@pytest.fixture
async def kavenegar() -> AsyncIterator[KavenegarServer]:
    async with running_kavenegar(api_key=API_KEY) as server:
        yield server


@pytest.fixture
async def adapter(kavenegar: KavenegarServer) -> AsyncIterator[KavenegarProvider]:
    async with KavenegarProvider(API_KEY, base_url=kavenegar.base_url, timeout=0.5) as provider:
        yield provider


async def queued(
    tenant: Tenant, *, purpose: str = "transactional", now: datetime | None = None
) -> OutboundMessage:
    customer = await make_customer(tenant)
    return await messaging.queue_sms(
        tenant=tenant, customer=customer, origin_key="run:1:step:0", purpose=purpose, body="سلام", now=now
    )


async def test_delivering_twice_calls_the_provider_once(db: None) -> None:
    """A sent message is not sent again when its job runs a second time."""
    # given
    message = await queued(await make_tenant())
    provider = ConsoleProvider()
    # when
    first = await delivery.deliver(message_id=message.id, directory=directory(provider))
    second = await delivery.deliver(message_id=message.id, directory=directory(provider))
    # then
    assert len(provider.sent) == 1 and provider.sent[0].local_id == str(message.id)
    assert (first.message.status, first.message.provider, first.message.attempts) == ("sent", "console", 1)
    assert first.message.provider_message_id == provider.sent[0].provider_message_id
    assert second.message.status == "sent" and second.message.attempts == 1


async def test_a_suppressed_message_is_never_delivered(db: None) -> None:
    """Delivery only sends queued messages."""
    # given
    tenant = await make_tenant()
    customer = await make_customer(tenant, marketing_consent=False)
    message = await messaging.queue_sms(
        tenant=tenant, customer=customer, origin_key="o", purpose="marketing", body="تخفیف"
    )
    provider = ConsoleProvider()
    # when
    result = await delivery.deliver(message_id=message.id, directory=directory(provider))
    # then
    assert result.message.status == "suppressed" and provider.sent == []


async def test_marketing_whose_customer_said_no_while_it_waited_is_suppressed_not_sent(db: None) -> None:
    """Consent is asked again at delivery: a customer whose store reported "no marketing" after the
    message was queued (held overnight by quiet hours, say) gets nothing, and the row says why."""
    # given
    tenant = await make_tenant()
    customer = await make_customer(tenant, marketing_consent=True)
    morning = datetime(2026, 12, 2, 6, 0, tzinfo=UTC)  # 09:30 in Tehran
    message = await messaging.queue_sms(
        tenant=tenant, customer=customer, origin_key="o", purpose="marketing", body="تخفیف", now=morning
    )
    assert message.status == "queued"
    customer.marketing_consent, customer.consent_source = False, "store"
    await customer.save(update_fields=["marketing_consent", "consent_source"])
    provider = ConsoleProvider()
    # when
    result = await delivery.deliver(message_id=message.id, directory=directory(provider), now=morning)
    # then
    assert provider.sent == []
    assert result.message.status == "suppressed" and "since it was queued" in (
        result.message.failure_reason or ""
    )


async def test_transient_failures_keep_the_message_queued_until_the_last_attempt(db: None) -> None:
    """Each answered retryable failure is re-raised; after the last attempt the message is failed."""
    # given
    message = await queued(await make_tenant())
    provider = FlakyProvider(failures=delivery.MAX_ATTEMPTS)
    # when
    for _ in range(delivery.MAX_ATTEMPTS - 1):
        with pytest.raises(RetryableSendError):
            await delivery.deliver(message_id=message.id, directory=directory(provider))
    waiting = await OutboundMessage.get(id=message.id)
    last = await delivery.deliver(message_id=message.id, directory=directory(provider))
    # then
    assert (waiting.status, waiting.attempts, waiting.failure_reason) == ("queued", 4, "busy")
    assert (last.message.status, last.message.attempts) == ("failed", delivery.MAX_ATTEMPTS)
    assert last.message.failure_reason == "Gave up after 5 attempts: busy"


async def test_kavenegar_busy_keeps_the_message_queued_and_a_retry_sends_it_from_the_stores_line(
    db: None, kavenegar: KavenegarServer, adapter: KavenegarProvider
) -> None:
    """409 (server busy) is retryable; the retry goes out with the same localid, once, from the store line."""
    # given
    tenant = await make_tenant()
    tenant.sender_line = "10008663"
    await tenant.save()
    message = await queued(tenant)
    kavenegar.fail_next(409)
    # when
    with pytest.raises(RetryableSendError):
        await delivery.deliver(message_id=message.id, directory=directory(adapter, "10004346"))
    busy = await OutboundMessage.get(id=message.id)
    sent = await delivery.deliver(message_id=message.id, directory=directory(adapter, "10004346"))
    # then
    assert busy.status == "queued" and busy.failure_reason is not None and "409" in busy.failure_reason
    assert (sent.message.status, sent.message.provider, sent.message.attempts) == ("sent", "kavenegar", 2)
    assert [request["localid"] for request in kavenegar.received] == [str(message.id)]
    assert kavenegar.received[0]["sender"] == "10008663"


async def test_kavenegar_invalid_receptor_fails_the_message(
    db: None, kavenegar: KavenegarServer, adapter: KavenegarProvider
) -> None:
    """411 (receptor invalid) is permanent: the message is failed with Kavenegar's reason."""
    # given
    message = await queued(await make_tenant())
    kavenegar.fail_next(411)
    # when
    failed = await delivery.deliver(message_id=message.id, directory=directory(adapter))
    # then
    assert (failed.message.status, failed.message.attempts) == ("failed", 1)
    assert failed.message.failure_reason is not None and failed.message.failure_reason.startswith(
        "Kavenegar 411"
    )
    assert kavenegar.received == []


async def test_a_message_kavenegar_took_is_never_failed_after_timeouts_and_is_found_by_its_local_id(
    db: None, kavenegar: KavenegarServer, adapter: KavenegarProvider
) -> None:
    """Kavenegar accepts the message and then stalls past our timeout, and then every look-up stalls too,
    more times than the attempts a failing message gets: it stays queued (outcome unknown), never failed;
    the first look-up that is answered finds it by its localid and marks it sent with Kavenegar's id."""
    # given
    message = await queued(await make_tenant())
    kavenegar.stall_next(2.0, times=delivery.MAX_ATTEMPTS + 2)
    # when
    with pytest.raises(OutcomeUnknownError):
        await delivery.deliver(message_id=message.id, directory=directory(adapter))
    for _ in range(delivery.MAX_ATTEMPTS + 1):
        with pytest.raises(RetryableSendError):
            await delivery.deliver(message_id=message.id, directory=directory(adapter))
    still = await OutboundMessage.get(id=message.id)
    found = await delivery.deliver(message_id=message.id, directory=directory(adapter))
    # then
    assert still.status == "queued" and still.outcome_unknown_at is not None
    assert still.failure_reason is not None and "unknown" in still.failure_reason.lower()
    entry = kavenegar.entry_for(str(message.id))
    assert entry is not None and len(kavenegar.entries) == 1
    assert (found.message.status, found.message.provider_message_id) == ("sent", str(entry["messageid"]))
    assert found.message.attempts == 1 and found.message.lookups == delivery.MAX_ATTEMPTS + 2
    assert kavenegar.lookup_calls[-1]["localid"] == str(message.id)
    assert [request["localid"] for request in kavenegar.attempts] == [str(message.id)]


async def test_a_message_kavenegar_never_got_is_sent_again_once_the_look_up_can_be_believed(
    db: None, kavenegar: KavenegarServer, adapter: KavenegarProvider
) -> None:
    """The request is lost inside Kavenegar and the answer never comes: a look-up right away that finds
    nothing is not believed yet; one after the grace period is, and the message goes out once, with the
    same localid."""
    # given
    message = await queued(await make_tenant())
    kavenegar.lose_next(2.0)
    with pytest.raises(OutcomeUnknownError):
        await delivery.deliver(message_id=message.id, directory=directory(adapter))
    unknown = await OutboundMessage.get(id=message.id)
    assert unknown.outcome_unknown_at is not None
    # when
    with pytest.raises(RetryableSendError) as early:
        await delivery.deliver(
            message_id=message.id,
            directory=directory(adapter),
            now=unknown.outcome_unknown_at + timedelta(seconds=5),
        )
    sent_early = list(kavenegar.received)
    later = await delivery.deliver(
        message_id=message.id,
        directory=directory(adapter),
        now=unknown.outcome_unknown_at + delivery.LOOKUP_GRACE + timedelta(seconds=1),
    )
    # then
    assert "does not show it yet" in early.value.reason and sent_early == []
    assert later.message.status == "sent" and later.message.outcome_unknown_at is None
    assert [request["localid"] for request in kavenegar.received] == [str(message.id)]
    assert len(kavenegar.lookup_calls) == 2


async def test_a_message_due_later_is_not_sent_before_its_time(db: None) -> None:
    """send_after in the future: delivery answers when it is due and calls no provider."""
    # given
    message = await queued(await make_tenant())
    later = datetime.now(UTC) + timedelta(hours=3)
    await OutboundMessage.filter(id=message.id).update(send_after=later)
    provider = ConsoleProvider()
    # when
    outcome = await delivery.deliver(message_id=message.id, directory=directory(provider))
    # then
    assert outcome.due_at == later and outcome.message.status == "queued" and provider.sent == []
    assert outcome.message.attempts == 0


async def test_marketing_queued_before_quiet_hours_waits_for_the_window_when_delivered_inside_it(
    db: None,
) -> None:
    """A marketing message queued at 21:00 Tehran whose delivery runs at 23:00 is not sent: the policy is
    asked again and the message waits for 08:00 (send_after moves there)."""
    # given
    tenant = await make_tenant()
    message = await queued(tenant, purpose="marketing", now=TEHRAN_NIGHT - timedelta(hours=2))
    provider = ConsoleProvider()
    # when
    outcome = await delivery.deliver(message_id=message.id, directory=directory(provider), now=TEHRAN_NIGHT)
    # then
    opening = datetime(2026, 12, 2, 4, 30, tzinfo=UTC)  # 08:00 in Tehran
    assert outcome.due_at == opening and provider.sent == []
    assert (await OutboundMessage.get(id=message.id)).send_after == opening


async def test_a_transactional_message_goes_at_once_in_quiet_hours(db: None) -> None:
    """Quiet hours hold marketing only: a receipt at 23:00 Tehran goes out."""
    # given
    message = await queued(await make_tenant(), now=TEHRAN_NIGHT)
    provider = ConsoleProvider()
    # when
    outcome = await delivery.deliver(message_id=message.id, directory=directory(provider), now=TEHRAN_NIGHT)
    # then
    assert outcome.due_at is None and outcome.message.status == "sent" and len(provider.sent) == 1


class _NoLookups(ConsoleProvider):
    """A provider that loses its first answer and then cannot be asked: look-ups stay unanswered."""

    name = "silent"

    async def send(self, *, receptor: str, message: str, sender: str | None, local_id: str) -> SendResult:
        raise OutcomeUnknownError("no answer")

    async def look_up(
        self, *, local_id: str, receptor: str, message: str, sent_after: datetime
    ) -> LookupResult:
        raise RetryableSendError("look-up unanswered")

    async def delivery_reports(self, provider_message_ids: Sequence[str]) -> list[DeliveryReport]:
        return []

    async def inbound(self, *, line: str | None) -> list[Inbound]:
        return []


async def test_an_unknown_outcome_is_never_sent_blindly_while_the_provider_cannot_be_asked(db: None) -> None:
    """While look-ups go unanswered the message is not sent again: no second send is attempted."""
    # given
    message = await queued(await make_tenant())
    provider = _NoLookups()
    with pytest.raises(OutcomeUnknownError):
        await delivery.deliver(message_id=message.id, directory=directory(provider))
    # when
    for _ in range(3):
        with pytest.raises(RetryableSendError):
            await delivery.deliver(message_id=message.id, directory=directory(provider))
    # then
    after = await OutboundMessage.get(id=message.id)
    assert (after.status, after.attempts, after.lookups) == ("queued", 1, 3)
    assert after.failure_reason == "Outcome still unknown: look-up unanswered"


async def test_a_delivery_in_flight_is_not_joined_by_a_second_one(db: None) -> None:
    """While one delivery holds the message (claimed_until ahead), another sends nothing, comes back then."""
    # given
    message = await queued(await make_tenant())
    held_until = datetime.now(UTC) + timedelta(minutes=3)
    await OutboundMessage.filter(id=message.id).update(claimed_until=held_until)
    provider = ConsoleProvider()
    # when
    outcome = await delivery.deliver(message_id=message.id, directory=directory(provider))
    # then
    assert outcome.due_at == held_until and provider.sent == []


async def test_a_worker_killed_while_kavenegar_took_the_message_is_resolved_by_look_up(
    db: None, kavenegar: KavenegarServer, adapter: KavenegarProvider
) -> None:
    """The worker died after Kavenegar took the message and before the outcome was written (its claim is
    left, expired): the next delivery treats it as unknown, finds it by its localid, and sends nothing."""
    # given
    message = await queued(await make_tenant())
    await adapter.send(receptor=message.phone, message=message.body, sender=None, local_id=str(message.id))
    await OutboundMessage.filter(id=message.id).update(
        claimed_until=datetime.now(UTC) - timedelta(seconds=1), attempts=1
    )
    # when
    outcome = await delivery.deliver(message_id=message.id, directory=directory(adapter))
    # then
    entry = kavenegar.entry_for(str(message.id))
    assert entry is not None and len(kavenegar.entries) == 1 and len(kavenegar.attempts) == 1
    assert outcome.message.status == "sent" and outcome.message.provider_message_id == str(entry["messageid"])
    assert outcome.message.outcome_unknown_at is not None and outcome.message.claimed_until is None
    assert outcome.message.attempts == 1 and outcome.message.lookups == 1


async def test_two_deliveries_of_one_message_at_once_send_it_once(
    db: None, kavenegar: KavenegarServer, adapter: KavenegarProvider
) -> None:
    """Two jobs deliver the same message at the same moment: one provider call, one sent message."""
    # given
    message = await queued(await make_tenant())
    # when
    first, second = await asyncio.gather(
        delivery.deliver(message_id=message.id, directory=directory(adapter)),
        delivery.deliver(message_id=message.id, directory=directory(adapter)),
    )
    # then
    assert len(kavenegar.attempts) == 1
    assert sorted([first.message.status, second.message.status]) in (["queued", "sent"], ["sent", "sent"])
    assert (await OutboundMessage.get(id=message.id)).status == "sent"
