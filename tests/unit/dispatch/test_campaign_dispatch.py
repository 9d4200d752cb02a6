"""Dispatching a launched campaign's messages chunk by chunk through a Kavenegar-protocol server: each
message sent once, paid once, and pause, cancel, quiet hours and an empty wallet taking effect between
chunks."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from domain.billing import wallet
from domain.campaigns import lifecycle
from domain.campaigns.dispatch import dispatch_chunk
from domain.campaigns.dispatch_claims import claim_chunk
from domain.campaigns.models import Campaign
from domain.messaging.kavenegar import KavenegarProvider
from domain.messaging.models import OutboundMessage, SmsSuppression
from domain.messaging.providers import BatchMessage
from tests.support.kavenegar_server import KavenegarServer, running_kavenegar
from tests.unit.dispatch.dispatch_support import LINE, PART_PRICE, charged, launched_campaign, route, statuses

API_KEY = "dispatch-test-kavenegar-key"


@pytest.fixture
async def kavenegar() -> AsyncIterator[KavenegarServer]:
    async with running_kavenegar(api_key=API_KEY, max_batch=200) as server:
        yield server


@pytest.fixture
async def provider(kavenegar: KavenegarServer) -> AsyncIterator[KavenegarProvider]:
    async with KavenegarProvider(API_KEY, base_url=kavenegar.base_url, timeout=1.0) as adapter:
        yield adapter


async def test_a_campaign_goes_in_chunks_each_message_once_and_paid_once(
    db: None, kavenegar: KavenegarServer, provider: KavenegarProvider
) -> None:
    """Proves 450 recipients go in chunks of 2 batches × 200 (3 sendarray calls), every message is taken
    once with its id as the local id, the wallet is charged for exactly those, and the campaign completes
    with its reservation released."""
    # given
    given = await launched_campaign(recipients=450)
    # when
    results = [
        await dispatch_chunk(
            tenant=given.tenant, campaign_id=given.campaign.id, route=route(provider), concurrency=2
        )
        for _ in range(3)
    ]
    # then
    assert [r.state for r in results] == ["sent", "sent", "done"]
    assert [r.sent for r in results[:2]] == [400, 50]
    assert kavenegar.taken == 450 and kavenegar.resubmitted == 0 and len(kavenegar.attempts) == 3
    messages = await OutboundMessage.filter(campaign_id=given.campaign.id)
    assert {m.status for m in messages} == {"sent"}
    assert {str(m.id) for m in messages} == {e["localid"] for e in _entries(kavenegar)}
    assert await charged(given.tenant.id) == 450 * PART_PRICE
    assert (await Campaign.get(id=given.campaign.id)).status == "completed"
    assert (await wallet.balance(given.tenant.id)).reserved == 0


async def test_pause_and_cancel_take_effect_between_chunks(
    db: None, kavenegar: KavenegarServer, provider: KavenegarProvider
) -> None:
    """Proves a paused campaign sends no further chunk until resumed, and a cancelled one none at all:
    its queued messages are withdrawn uncharged."""
    # given
    given = await launched_campaign(recipients=300)
    tenant, campaign_id = given.tenant, given.campaign.id
    first = await dispatch_chunk(tenant=tenant, campaign_id=campaign_id, route=route(provider), concurrency=1)
    # when
    await lifecycle.pause(tenant_id=tenant.id, campaign_id=campaign_id)
    paused = await dispatch_chunk(
        tenant=tenant, campaign_id=campaign_id, route=route(provider), concurrency=1
    )
    await lifecycle.resume(tenant_id=tenant.id, campaign_id=campaign_id)
    resumed = await dispatch_chunk(
        tenant=tenant, campaign_id=campaign_id, route=route(provider), concurrency=1
    )
    await lifecycle.cancel(tenant_id=tenant.id, campaign_id=campaign_id)
    cancelled = await dispatch_chunk(
        tenant=tenant, campaign_id=campaign_id, route=route(provider), concurrency=1
    )
    # then
    assert (first.sent, paused.state, resumed.sent, cancelled.state) == (200, "stopped", 100, "stopped")
    assert kavenegar.taken == 300


async def test_a_cancel_between_chunks_withdraws_the_rest_unpaid(
    db: None, kavenegar: KavenegarServer, provider: KavenegarProvider
) -> None:
    """Proves cancelling after one chunk leaves the rest cancelled, never sent and never charged."""
    # given
    given = await launched_campaign(recipients=350)
    await dispatch_chunk(
        tenant=given.tenant, campaign_id=given.campaign.id, route=route(provider), concurrency=1
    )
    # when
    await lifecycle.cancel(tenant_id=given.tenant.id, campaign_id=given.campaign.id)
    after = await dispatch_chunk(
        tenant=given.tenant, campaign_id=given.campaign.id, route=route(provider), concurrency=1
    )
    # then
    assert after.state == "stopped"
    assert await statuses(given.campaign.id) == {"sent": 200, "cancelled": 150}
    assert kavenegar.taken == 200 and await charged(given.tenant.id) == 200 * PART_PRICE


async def test_quiet_hours_hold_the_campaign_until_they_end(
    db: None, kavenegar: KavenegarServer, provider: KavenegarProvider
) -> None:
    """Proves a chunk in the store's quiet hours claims nothing and names the opening to come back at."""
    # given: quiet from 00:00 to 23:59 local, every day but its last minute
    given = await launched_campaign(recipients=10)
    given.tenant.quiet_hours_start, given.tenant.quiet_hours_end = 0, 23 * 60 + 59
    await given.tenant.save()
    night = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)  # 12:30 in Tehran
    # when
    result = await dispatch_chunk(
        tenant=given.tenant, campaign_id=given.campaign.id, route=route(provider), now=night
    )
    # then
    assert result.state == "closed" and result.due_at is not None and result.due_at > night
    assert kavenegar.attempts == [] and await statuses(given.campaign.id) == {"queued": 10}


async def test_an_empty_wallet_pauses_the_campaign_with_nothing_sent_unpaid_and_funds_resume_it(
    db: None, kavenegar: KavenegarServer, provider: KavenegarProvider
) -> None:
    """Proves that when the reservation and the balance run out mid-campaign the chunk is neither charged
    nor sent, the campaign pauses for funds, and after a top-up it resumes and finishes: every message
    the server took was paid, and none twice."""
    # given: the exact cost reserved at launch; after the first chunk the rest is spent elsewhere
    given = await launched_campaign(recipients=300, top_up=300 * PART_PRICE)
    tenant, campaign_id = given.tenant, given.campaign.id
    first = await dispatch_chunk(tenant=tenant, campaign_id=campaign_id, route=route(provider), concurrency=1)
    await wallet.release(tenant.id, key=given.campaign.reservation_key or "")
    left = (await wallet.balance(tenant.id)).available
    await wallet.charge(tenant.id, amount=left, key="spent-elsewhere", kind="journey_run")
    # when
    second = await dispatch_chunk(
        tenant=tenant, campaign_id=campaign_id, route=route(provider), concurrency=1
    )
    # then
    assert (first.sent, second.state) == (200, "unpaid")
    campaign = await Campaign.get(id=campaign_id)
    assert (campaign.status, campaign.pause_reason) == ("paused", "insufficient_funds")
    assert kavenegar.taken == 200 and await charged(tenant.id) == 200 * PART_PRICE + left
    assert await statuses(campaign_id) == {"sent": 200, "queued": 100}
    # and when funds come
    await wallet.top_up(tenant.id, amount=10**8, key="more-funds", reference="test")
    assert await lifecycle.resume_paused_for_funds(tenant.id) == [campaign_id]
    while (
        await dispatch_chunk(tenant=tenant, campaign_id=campaign_id, route=route(provider))
    ).state == "sent":
        pass
    assert kavenegar.taken == 300 and kavenegar.resubmitted == 0
    assert await charged(tenant.id) == 300 * PART_PRICE + left
    assert (await Campaign.get(id=campaign_id)).status == "completed"


async def test_an_opt_out_since_launch_is_withdrawn_not_sent_nor_charged(
    db: None, kavenegar: KavenegarServer, provider: KavenegarProvider
) -> None:
    """Proves a «۱۱» that arrived after launch suppresses that customer's message at its chunk."""
    # given
    given = await launched_campaign(recipients=5)
    message = await OutboundMessage.filter(campaign_id=given.campaign.id).first()
    assert message is not None
    await SmsSuppression.create(
        tenant_id=given.tenant.id,
        phone=message.phone,
        source="kavenegar",
        keyword="۱۱",
        suppressed_at=datetime.now(UTC),
    )
    # when
    result = await dispatch_chunk(tenant=given.tenant, campaign_id=given.campaign.id, route=route(provider))
    # then
    assert (result.sent, result.suppressed) == (4, 1)
    after = await OutboundMessage.get(id=message.id)
    assert (after.status, after.policy_reason) == ("suppressed", "suppressed_number")
    assert await charged(given.tenant.id) == 4 * PART_PRICE


async def test_a_chunk_left_claimed_by_a_dead_dispatch_is_looked_up_and_only_the_missing_are_sent(
    db: None, kavenegar: KavenegarServer, provider: KavenegarProvider
) -> None:
    """Proves a claim left behind (a killed worker, which had handed half its chunk to the provider) is
    resolved by a batch look-up: the half the provider took is recorded with its ids, only the other half
    is sent, nobody twice, and nothing is charged twice."""
    # given: a claim, then half of it sent, then the dispatch "dies"
    given = await launched_campaign(recipients=100)
    chunk = await claim_chunk(
        tenant=given.tenant,
        campaign_id=given.campaign.id,
        size=100,
        now=datetime.now(UTC),
        route=route(provider),
    )
    half = [BatchMessage(str(m.id), m.phone, m.body, LINE) for m in chunk.messages[:50]]
    await provider.send_batch(half)
    # when
    result = await dispatch_chunk(tenant=given.tenant, campaign_id=given.campaign.id, route=route(provider))
    # then
    assert result.sent == 100 and kavenegar.taken == 100 and kavenegar.resubmitted == 0
    assert kavenegar.lookup_calls and len(kavenegar.lookup_calls[0]["localid"].split(",")) == 100
    sent = {m.id: m for m in await OutboundMessage.filter(campaign_id=given.campaign.id)}
    assert {m.status for m in sent.values()} == {"sent"}
    assert all(sent[m.id].outcome_unknown_at is not None for m in chunk.messages)
    assert await charged(given.tenant.id) == 100 * PART_PRICE


async def test_a_lost_answer_is_looked_up_at_the_next_chunk_not_sent_again(
    db: None, kavenegar: KavenegarServer, provider: KavenegarProvider
) -> None:
    """Proves a batch whose answer never came stays queued as an unknown outcome (not failed), and the
    next chunk after the re-check delay finds it at the provider and records it sent."""
    # given
    given = await launched_campaign(recipients=20)
    kavenegar.stall_next(3.0)
    first = await dispatch_chunk(tenant=given.tenant, campaign_id=given.campaign.id, route=route(provider))
    assert first.sent == 0 and await statuses(given.campaign.id) == {"queued": 20}
    # when
    later = datetime.now(UTC) + timedelta(seconds=15)
    second = await dispatch_chunk(
        tenant=given.tenant, campaign_id=given.campaign.id, route=route(provider), now=later
    )
    # then
    assert second.sent == 20 and kavenegar.taken == 20 and kavenegar.resubmitted == 0
    assert await charged(given.tenant.id) == 20 * PART_PRICE


async def test_a_refused_number_fails_alone_and_is_refunded(
    db: None, kavenegar: KavenegarServer, provider: KavenegarProvider
) -> None:
    """Proves a receptor Kavenegar refuses (411) fails that message only, with its charge given back."""
    # given
    given = await launched_campaign(recipients=10)
    bad = await OutboundMessage.filter(campaign_id=given.campaign.id).first()
    assert bad is not None
    await OutboundMessage.filter(id=bad.id).update(phone="+4915112345678")
    # when
    result = await dispatch_chunk(tenant=given.tenant, campaign_id=given.campaign.id, route=route(provider))
    # then
    assert (result.sent, result.failed) == (9, 1)
    assert (await OutboundMessage.get(id=bad.id)).status == "failed"
    assert await charged(given.tenant.id) == 9 * PART_PRICE


def _entries(server: KavenegarServer) -> list[dict[str, str]]:
    import json

    return [
        {"localid": localid}
        for attempt in server.attempts
        for localid in json.loads(attempt["localmessageids"])
    ]
