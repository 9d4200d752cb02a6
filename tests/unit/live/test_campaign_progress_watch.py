"""A campaign's progress as its subscription streams it, over a real hub, Redis and PostgreSQL, with a
campaign and its messages made through the real models: counters at once, again on each notice, again
on the timer when a notice was lost, and the end once the campaign completes."""

from __future__ import annotations

import uuid
from contextlib import aclosing

import pytest
from arq.connections import ArqRedis

from domain.campaigns.models import Campaign
from domain.errors import NotFound
from domain.messaging.models import OutboundMessage
from domain.tenancy.models import Tenant
from graph.live.campaign_progress import ProgressPace, watch_campaign
from revisit.live import LiveHub, campaign_channel, publish
from tests.support.factories import make_owner

FAST = ProgressPace(refresh=30, min_read=0.05)


async def sending_campaign(tenant: Tenant, recipients: int) -> Campaign:
    """A launched campaign with ``recipients`` queued messages."""
    campaign = await Campaign.create(
        tenant_id=tenant.id,
        name="یلدا",
        template="سلام {first_name}",
        status="sending",
        recipients_count=recipients,
    )
    await OutboundMessage.bulk_create(
        [
            OutboundMessage(
                tenant_id=tenant.id,
                campaign_id=campaign.id,
                origin_key=f"campaign:{campaign.id}:{uuid.uuid4()}",
                purpose="marketing",
                phone=f"+98912000{n:04d}",
                body="سلام",
                encoding="ucs2",
                parts=1,
            )
            for n in range(recipients)
        ]
    )
    return campaign


async def send(campaign: Campaign, count: int) -> None:
    ids = (
        await OutboundMessage.filter(campaign_id=campaign.id, status="queued")
        .limit(count)
        .values_list("id", flat=True)
    )
    await OutboundMessage.filter(id__in=list(ids)).update(status="sent")


async def test_progress_comes_at_once_then_on_each_notice_and_ends_when_the_campaign_completes(
    db: None, redis: ArqRedis
) -> None:
    """3 queued; 2 sent and announced; the last sent, the campaign completed and announced: three
    states, the last one completed, and then the stream ends."""
    # given
    owner = await make_owner()
    campaign = await sending_campaign(owner.tenant, 3)
    channel = campaign_channel(owner.tenant.id, campaign.id)
    stream = watch_campaign(LiveHub(redis), owner.tenant.id, campaign.id, FAST)
    async with aclosing(stream):
        first = await anext(stream)
        # when
        await send(campaign, 2)
        await publish(redis, channel)
        second = await anext(stream)
        await send(campaign, 1)
        await Campaign.filter(id=campaign.id).update(status="completed")
        await publish(redis, channel)
        last = await anext(stream)
        ended = [progress async for progress in stream]
    # then
    assert (first.status, first.recipients, first.queued, first.sent) == ("sending", 3, 3, 0)
    assert (second.queued, second.sent) == (1, 2)
    assert (last.status, last.queued, last.sent) == ("completed", 0, 3)
    assert ended == []


async def test_a_lost_notice_heals_on_the_timer(db: None, redis: ArqRedis) -> None:
    """Messages are sent but nobody announces it: the next timed read still shows them."""
    # given
    owner = await make_owner()
    campaign = await sending_campaign(owner.tenant, 2)
    stream = watch_campaign(
        LiveHub(redis), owner.tenant.id, campaign.id, ProgressPace(refresh=0.3, min_read=0.05)
    )
    async with aclosing(stream):
        await anext(stream)
        # when
        await send(campaign, 2)
        healed = await anext(stream)
    # then
    assert (healed.queued, healed.sent) == (0, 2)


async def test_another_stores_campaign_is_not_found_and_leaves_no_subscription(
    db: None, redis: ArqRedis
) -> None:
    """Store B asks for store A's campaign (and for an id that does not exist): NOT_FOUND, and the
    process keeps no channel open for it."""
    # given
    owner_a, owner_b = await make_owner(), await make_owner()
    campaign = await sending_campaign(owner_a.tenant, 1)
    hub = LiveHub(redis)
    # when / then
    for tenant_id, campaign_id in ((owner_b.tenant.id, campaign.id), (owner_a.tenant.id, uuid.uuid4())):
        stream = watch_campaign(hub, tenant_id, campaign_id, FAST)
        async with aclosing(stream):
            with pytest.raises(NotFound):
                await anext(stream)
    assert hub.channels == set()
