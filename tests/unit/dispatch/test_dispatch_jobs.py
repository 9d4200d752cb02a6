"""The dispatch jobs: one per store at a time (the lease), handing over between jobs, live notices, the
cron that finds every sending store, and the messaging reconciler leaving campaign messages alone."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from arq.connections import ArqRedis

from domain.campaigns.dispatch import ChunkResult, dispatch_store
from domain.campaigns.models import Campaign
from domain.messaging.kavenegar import KavenegarProvider
from domain.messaging.models import OutboundMessage
from domain.tenancy.models import Tenant
from jobs.campaign_dispatch import (
    DispatchLease,
    dispatch_campaigns,
    dispatch_sending_stores,
    enqueue_dispatch,
)
from jobs.messaging import reconcile_messages
from revisit import live
from tests.support.kavenegar_server import KavenegarServer, running_kavenegar
from tests.unit.dispatch.dispatch_support import directory, launched_campaign, route, statuses

API_KEY = "dispatch-jobs-kavenegar-key"


@pytest.fixture
async def kavenegar() -> AsyncIterator[KavenegarServer]:
    async with running_kavenegar(api_key=API_KEY, latency=0.05) as server:
        yield server


@pytest.fixture
async def provider(kavenegar: KavenegarServer) -> AsyncIterator[KavenegarProvider]:
    async with KavenegarProvider(API_KEY, base_url=kavenegar.base_url, timeout=2.0) as adapter:
        yield adapter


async def queued_jobs(redis: ArqRedis) -> list[str]:
    return [job.function for job in await redis.queued_jobs()]


async def test_one_dispatch_per_store_sends_at_a_time(
    db: None, redis: ArqRedis, kavenegar: KavenegarServer, provider: KavenegarProvider
) -> None:
    """Proves two dispatch jobs started together for one store: one sends, the other finds the lease
    taken and sends nothing; the sending one (and its continuations) send every message once."""
    # given
    given = await launched_campaign(recipients=1000)
    ctx = {"redis": redis, "sms_directory": directory(provider)}
    # when
    answers = await asyncio.gather(
        dispatch_campaigns(dict(ctx), str(given.tenant.id)),
        dispatch_campaigns(dict(ctx), str(given.tenant.id)),
    )
    while (await Campaign.get(id=given.campaign.id)).status != "completed":  # a slow machine: continuations
        await dispatch_campaigns(dict(ctx), str(given.tenant.id))
    # then
    assert "busy" in answers and answers != ["busy", "busy"]
    assert kavenegar.taken == 1000 and kavenegar.resubmitted == 0
    assert await redis.get(f"revisit:campaign-dispatch:{given.tenant.id}") is None


async def test_a_lease_lost_stops_the_store_before_its_next_chunk_and_hands_over(
    db: None, redis: ArqRedis, kavenegar: KavenegarServer, provider: KavenegarProvider
) -> None:
    """Proves a dispatch whose lease is gone sends no further chunk and says there is more to do, and that
    campaigns take turns chunk by chunk."""
    # given: two campaigns of one store
    given = await launched_campaign(recipients=900)
    tenant = await Tenant.get(id=given.tenant.id)
    chunks: list[ChunkResult] = []

    async def on_chunk(result: ChunkResult) -> None:
        chunks.append(result)

    async def route_of(_: Tenant) -> object:
        return route(provider)

    turns = iter([True, True, False])
    # when
    outcome = await dispatch_store(
        tenant_id=tenant.id,
        route_of=route_of,  # type: ignore[arg-type]
        on_chunk=on_chunk,
        still_leased=lambda: next(turns),
        lanes=1,
    )
    # then
    assert (outcome.chunks, outcome.sent, outcome.more) == (2, 800, True)  # two chunks of 2 batches × 200
    assert await statuses(given.campaign.id) == {"sent": 800, "queued": 100}


async def test_the_job_hands_over_to_a_fresh_job_and_announces_each_chunk(
    db: None, redis: ArqRedis, kavenegar: KavenegarServer, provider: KavenegarProvider
) -> None:
    """Proves each chunk is announced on the campaign's live channel and the store's monitor (with the
    messages sent), and a job that ends with work left enqueues its continuation."""
    # given
    given = await launched_campaign(recipients=100)
    pubsub = redis.pubsub()
    campaign_channel = live.campaign_channel(given.tenant.id, given.campaign.id)
    await pubsub.subscribe(campaign_channel, live.monitor_channel(given.tenant.id))
    # when
    answer = await dispatch_campaigns(
        {"redis": redis, "sms_directory": directory(provider)}, str(given.tenant.id)
    )
    # then
    notices = []
    deadline = asyncio.get_running_loop().time() + 3
    while asyncio.get_running_loop().time() < deadline:
        message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.5)
        if message is not None:
            notices.append((message["channel"].decode(), live.read_notice(message["data"])))
    await pubsub.aclose()
    assert answer == "100 sent in 1 chunks"
    assert (live.monitor_channel(given.tenant.id), {"messages_sent": 100}) in notices
    assert (campaign_channel, {}) in notices


async def test_the_cron_wakes_every_store_with_a_sending_campaign(
    db: None, redis: ArqRedis, provider: KavenegarProvider
) -> None:
    """Proves the cron enqueues a dispatch for a sending campaign's store, so a lost wake-up (or a flushed
    Redis) loses nothing; a completed campaign's store gets none."""
    # given
    sending = await launched_campaign(recipients=3)
    done = await launched_campaign(recipients=0)
    await redis.flushdb()
    # when
    count = await dispatch_sending_stores({"redis": redis})
    # then
    assert count == 1 and (await Campaign.get(id=done.campaign.id)).status == "completed"
    jobs = await redis.queued_jobs()
    assert [(job.function, job.args) for job in jobs] == [("dispatch_campaigns", (str(sending.tenant.id),))]


async def test_the_messaging_reconciler_leaves_campaign_messages_to_dispatch(
    db: None, redis: ArqRedis
) -> None:
    """Proves the one-by-one reconciler enqueues no delivery for a queued campaign message, however stale."""
    # given
    given = await launched_campaign(recipients=5)
    stale = datetime.now(UTC) - timedelta(hours=1)
    await OutboundMessage.filter(campaign_id=given.campaign.id).update(updated_at=stale)
    await redis.flushdb()
    # when
    count = await reconcile_messages({"redis": redis})
    # then
    assert count == 0 and await queued_jobs(redis) == []


async def test_a_lease_is_one_holders_until_released(db: None, redis: ArqRedis) -> None:
    """Proves a second lease on a held store is refused, a released one can be taken again, and a release
    by a holder whose lease expired never removes the new holder's."""
    # given
    tenant_id = (await launched_campaign(recipients=0)).tenant.id
    first, second = DispatchLease(redis, tenant_id), DispatchLease(redis, tenant_id)
    # when / then
    assert await first.acquire() and not await second.acquire()
    await first.release()
    assert await second.acquire()
    await first.release()  # not its lease any more
    assert second.held and await redis.get(second.key) == second.token.encode()
    await second.release()


async def test_a_store_waiting_for_its_window_rests_from_the_cron_until_a_wake_up(
    db: None, redis: ArqRedis, provider: KavenegarProvider
) -> None:
    """Proves a store whose campaign waits for its quiet hours to end gets one dispatch deferred to the
    opening and no cron dispatch meanwhile (the cron would otherwise start a job every few seconds that
    only finds the window closed), and that a wake-up (a launch, a resume) ends the rest."""
    # given: a sending campaign whose store is in quiet hours now
    waiting = await launched_campaign(recipients=3)
    tenant = waiting.tenant
    hour = datetime.now(UTC).astimezone(ZoneInfo(tenant.timezone)).hour
    tenant.quiet_hours_start, tenant.quiet_hours_end = hour * 60, (hour + 2) % 24 * 60
    await tenant.save()
    await redis.flushdb()
    # when: its dispatch runs and finds the window closed, then the cron ticks
    await dispatch_campaigns({"redis": redis, "sms_provider": provider}, str(tenant.id))
    deferred = await queued_jobs(redis)
    count = await dispatch_sending_stores({"redis": redis})
    # then
    assert deferred == ["dispatch_campaigns"] and count == 0
    assert await queued_jobs(redis) == ["dispatch_campaigns"]
    assert await statuses(waiting.campaign.id) == {"queued": 3}
    # when: a wake-up comes
    await enqueue_dispatch(redis, tenant.id)
    # then: the cron sees the store again
    assert await dispatch_sending_stores({"redis": redis}) == 1
