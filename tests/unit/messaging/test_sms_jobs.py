"""The messaging jobs: deferrals re-enqueued for their moment, the reconciler, and the per-route pollers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from arq import Retry
from arq.connections import ArqRedis

from domain.messaging import accounts, suppressions
from domain.messaging import service as messaging
from domain.messaging.accounts import ProviderDirectory
from domain.messaging.kavenegar import KavenegarProvider
from domain.messaging.models import InboundMessage, OutboundMessage
from domain.messaging.providers import SmsProvider
from domain.tenancy.models import Tenant
from jobs.messaging import (
    deliver_message,
    poll_delivery_reports,
    poll_inbound,
    poll_inbound_route,
    poll_reports,
    reconcile_messages,
)
from tests.support.automation import make_customer, make_tenant
from tests.support.factories import TEST_SECRET
from tests.support.kavenegar_server import KavenegarServer, running_kavenegar

PLATFORM_KEY = "platform-kavenegar-key"
STORE_KEY = "store-own-kavenegar-key"
PLATFORM_LINE = "10004346"
STORE_LINE = "10008663"


@pytest.fixture
async def platform() -> AsyncIterator[KavenegarServer]:
    async with running_kavenegar(api_key=PLATFORM_KEY) as server:
        yield server


@pytest.fixture
async def store_kavenegar() -> AsyncIterator[KavenegarServer]:
    async with running_kavenegar(api_key=STORE_KEY, default_sender=STORE_LINE) as server:
        yield server


@pytest.fixture
async def ctx(
    redis: ArqRedis, platform: KavenegarServer, store_kavenegar: KavenegarServer
) -> AsyncIterator[dict[str, Any]]:
    """A worker's ctx: the platform's Kavenegar, and store accounts' providers made at the store's server."""

    def make(name: str, api_key: str) -> SmsProvider:
        return KavenegarProvider(api_key, base_url=store_kavenegar.base_url, timeout=2.0)

    directory = ProviderDirectory(
        platform=KavenegarProvider(PLATFORM_KEY, base_url=platform.base_url, timeout=2.0),
        platform_sender=PLATFORM_LINE,
        factory=make,
        encryption_key=accounts.encryption_key(TEST_SECRET),
    )
    yield {"redis": redis, "sms_directory": directory, "job_try": 1}
    await directory.aclose()


async def queued(
    tenant: Tenant, *, purpose: str = "transactional", now: datetime | None = None
) -> OutboundMessage:
    return await messaging.queue_sms(
        tenant=tenant,
        customer=await make_customer(tenant),
        origin_key=f"o:{purpose}",
        purpose=purpose,
        body="سلام",
        now=now,
    )


async def job_ids(redis: ArqRedis) -> list[str]:
    return sorted(job.job_id for job in await redis.queued_jobs() if job.job_id)


async def test_a_message_not_due_is_enqueued_again_for_its_moment(db: None, ctx: dict[str, Any]) -> None:
    """deliver_message on a message due in three hours sends nothing and enqueues one job for then."""
    # given
    message = await queued(await make_tenant())
    due = (datetime.now(UTC) + timedelta(hours=3)).replace(microsecond=0)
    await OutboundMessage.filter(id=message.id).update(send_after=due)
    # when
    outcome = await deliver_message(ctx, str(message.id))
    await deliver_message(ctx, str(message.id))
    # then
    assert outcome == "deferred"
    assert await job_ids(ctx["redis"]) == [f"deliver:{message.id}:{int(due.timestamp())}"]


async def test_the_reconciler_leaves_messages_not_yet_due_alone(db: None, ctx: dict[str, Any]) -> None:
    """A stale queued message is re-enqueued only once its send_after has passed."""
    # given
    tenant = await make_tenant()
    due_now, later = await queued(tenant), await queued(tenant, purpose="marketing")
    stale = datetime.now(UTC) - timedelta(minutes=5)
    await OutboundMessage.filter(id=due_now.id).update(updated_at=stale, send_after=stale)
    await OutboundMessage.filter(id=later.id).update(
        updated_at=stale, send_after=datetime.now(UTC) + timedelta(hours=1)
    )
    # when
    found = await reconcile_messages(ctx)
    # then
    assert found == 1 and await job_ids(ctx["redis"]) == [f"deliver:{due_now.id}"]


async def test_a_store_with_its_own_account_sends_through_it_and_its_reports_are_polled_there(
    db: None, ctx: dict[str, Any], platform: KavenegarServer, store_kavenegar: KavenegarServer
) -> None:
    """The store's message goes to its own Kavenegar from its own line; the report poller fans out one job
    for the store's account and one for the platform line, each asking its own provider."""
    # given
    own, shared = await make_tenant(name="Own"), await make_tenant(name="Shared")
    account = await accounts.set_account(
        tenant_id=own.id,
        provider="kavenegar",
        api_key=STORE_KEY,
        line=STORE_LINE,
        encryption_key=accounts.encryption_key(TEST_SECRET),
    )
    mine, theirs = await queued(own), await queued(shared)
    # when
    assert await deliver_message(ctx, str(mine.id)) == "sent"
    assert await deliver_message(ctx, str(theirs.id)) == "sent"
    sent_mine = await OutboundMessage.get(id=mine.id)
    store_kavenegar.set_status(sent_mine.provider_message_id or "", 10)
    platform.set_status((await OutboundMessage.get(id=theirs.id)).provider_message_id or "", 11)
    await ctx["redis"].flushdb()
    routes = await poll_delivery_reports(ctx)
    recorded = [await poll_reports(ctx, str(account.id)), await poll_reports(ctx, "platform")]
    # then
    assert [r["sender"] for r in store_kavenegar.received] == [STORE_LINE]
    assert [r["localid"] for r in platform.received] == [str(theirs.id)]
    assert sent_mine.sms_account_id == account.id
    assert routes == 2 and recorded == [1, 1]
    assert sorted(job_id.rsplit(":", 1)[0] for job_id in await job_ids(ctx["redis"])) == sorted(
        [f"poll_reports:{account.id}", "poll_reports:platform"]
    )
    assert (await OutboundMessage.get(id=mine.id)).delivery_status == "delivered"
    assert (await OutboundMessage.get(id=theirs.id)).delivery_status == "undeliverable"


async def test_inbound_polling_reads_each_line_and_suppresses_opt_outs(
    db: None, ctx: dict[str, Any], platform: KavenegarServer, store_kavenegar: KavenegarServer
) -> None:
    """poll_inbound fans out the platform line and the store's line; each route's «۱۱» suppresses the sender
    in the store it concerns, and a second poll finds nothing new (Kavenegar marked them read)."""
    # given
    own = await make_tenant(name="Own")
    account = await accounts.set_account(
        tenant_id=own.id,
        provider="kavenegar",
        api_key=STORE_KEY,
        line=STORE_LINE,
        encryption_key=accounts.encryption_key(TEST_SECRET),
    )
    store_kavenegar.text_in("09121110000", "۱۱", line=STORE_LINE)
    platform.text_in("09122220000", "سلام", line=PLATFORM_LINE)
    # when
    fanned = await poll_inbound(ctx)
    stored = await poll_inbound_route(ctx, str(account.id))
    shared = await poll_inbound_route(ctx, "platform")
    again = await poll_inbound_route(ctx, str(account.id))
    # then
    assert (fanned, stored, shared, again) == (2, 1, 0, 0)  # nobody texted 0912222… from the shared line
    assert await suppressions.is_suppressed(tenant_id=own.id, phone="+989121110000")
    assert [row.sms_account_id for row in await InboundMessage.all()] == [account.id]
    assert [call["linenumber"] for call in store_kavenegar.receive_calls] == [STORE_LINE, STORE_LINE]


async def test_a_provider_that_is_down_makes_the_poll_retry(
    db: None, ctx: dict[str, Any], platform: KavenegarServer
) -> None:
    """A 502 from the receive API is arq's Retry, and nothing is stored."""
    # given
    platform.fail_next(502)
    # when
    with pytest.raises(Retry):
        await poll_inbound_route(ctx, "platform")
    # then
    assert await InboundMessage.all().count() == 0


async def test_a_store_account_that_does_not_open_keeps_its_messages_queued(
    db: None, ctx: dict[str, Any], platform: KavenegarServer
) -> None:
    """An account sealed under another server key is not silently replaced by the platform line: the message
    waits (Retry) with the reason, and nothing is sent anywhere."""
    # given
    tenant = await make_tenant()
    await accounts.set_account(
        tenant_id=tenant.id,
        provider="kavenegar",
        api_key=STORE_KEY,
        line=None,
        encryption_key=accounts.encryption_key("another-server-secret-" + "y" * 30),
    )
    message = await queued(tenant)
    # when
    with pytest.raises(Retry):
        await deliver_message(ctx, str(message.id))
    # then
    after = await OutboundMessage.get(id=message.id)
    assert after.status == "queued" and "does not open" in (after.failure_reason or "")
    assert platform.attempts == []


async def test_a_job_whose_answer_is_lost_retries_and_the_retry_finds_the_message(
    db: None, ctx: dict[str, Any], platform: KavenegarServer
) -> None:
    """Kavenegar takes the message and stalls past the timeout: the job asks arq to retry, the message stays
    queued with its outcome unknown, and the retry looks it up and marks it sent — one SMS at Kavenegar."""
    # given
    message = await queued(await make_tenant())
    slow = ProviderDirectory(
        platform=KavenegarProvider(PLATFORM_KEY, base_url=platform.base_url, timeout=0.3),
        platform_sender=PLATFORM_LINE,
        factory=lambda name, key: KavenegarProvider(key),
        encryption_key=accounts.encryption_key(TEST_SECRET),
    )
    platform.stall_next(1.5)
    # when
    with pytest.raises(Retry):
        await deliver_message({**ctx, "sms_directory": slow}, str(message.id))
    waiting = await OutboundMessage.get(id=message.id)
    outcome = await deliver_message({**ctx, "sms_directory": slow, "job_try": 2}, str(message.id))
    await slow.aclose()
    # then
    assert waiting.status == "queued" and waiting.outcome_unknown_at is not None
    assert outcome == "sent" and len(platform.entries) == 1 and len(platform.attempts) == 1
