"""The scheduler: due campaigns launch and wake dispatch; one the wallet cannot pay pauses for funds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from arq.connections import ArqRedis

from domain.billing import holds, wallet
from domain.campaigns import lifecycle
from domain.campaigns.models import Campaign
from domain.messaging.models import OutboundMessage
from jobs.campaigns import launch_due_campaigns
from tests.support.automation import make_customer
from tests.unit.campaigns.campaign_support import make_campaign, store_with


async def test_a_due_campaign_launches_and_wakes_its_stores_dispatch(db: None, redis: ArqRedis) -> None:
    """A scheduled campaign whose time passed is launched and a dispatch job is queued for its store;
    one due later is left scheduled."""
    # given
    tenant = await store_with(100_000)
    await make_customer(tenant)
    now = datetime.now(UTC)
    due = await make_campaign(tenant, status="scheduled", scheduled_at=now - timedelta(seconds=1))
    later = await make_campaign(tenant, status="scheduled", scheduled_at=now + timedelta(hours=1))
    # when
    taken = await launch_due_campaigns({"redis": redis})
    again = await launch_due_campaigns({"redis": redis})
    # then
    assert (taken, again) == (1, 0)
    assert (await Campaign.get(id=due.id)).status == "sending"
    assert (await Campaign.get(id=later.id)).status == "scheduled"
    assert await OutboundMessage.filter(campaign_id=due.id).count() == 1
    jobs = await redis.queued_jobs()
    assert [(job.function, job.args) for job in jobs] == [("dispatch_campaigns", (str(tenant.id),))]


async def test_a_campaign_the_wallet_cannot_pay_pauses_and_goes_on_after_a_top_up(
    db: None, redis: ArqRedis
) -> None:
    """At its time the empty wallet cannot pay: the campaign pauses for funds, nothing is queued and
    the store is on hold; after a top-up it is scheduled again and the next pass launches it."""
    # given
    tenant = await store_with(0)
    await make_customer(tenant)
    campaign = await make_campaign(
        tenant, status="scheduled", scheduled_at=datetime.now(UTC) - timedelta(seconds=1)
    )
    # when
    await launch_due_campaigns({"redis": redis})
    paused = await Campaign.get(id=campaign.id)
    held = await holds.on_hold(tenant.id)
    await wallet.top_up(tenant.id, amount=100_000, key="top", reference="test:1")
    await holds.funds_added(tenant.id)
    resumed = await lifecycle.resume_paused_for_funds(tenant.id)
    await launch_due_campaigns({"redis": redis})
    # then
    assert (paused.status, paused.pause_reason) == ("paused", "insufficient_funds")
    assert held is not None
    assert resumed == []  # not launched yet: it went back to scheduled
    assert (await Campaign.get(id=campaign.id)).status == "sending"
    assert await OutboundMessage.filter(campaign_id=campaign.id).count() == 1
