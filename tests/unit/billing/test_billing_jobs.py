"""Billing jobs on a real Redis: a top-up's wake-up resumes a held store (its queued messages, its journeys,
its campaigns paused for funds), the minute cron does the same without the wake-up, renews annual plans and
warns of low balances."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from arq.connections import ArqRedis
from tortoise.transactions import in_transaction

from domain.billing import charging, holds, plans, wallet
from domain.campaigns.models import Campaign
from domain.customers.models import Customer
from domain.messaging import service as messaging
from domain.messaging.models import OutboundMessage
from domain.tenancy import service as tenancy
from domain.tenancy.models import Tenant
from jobs.billing import billing_funds_added, billing_minute, billing_renew
from revisit.wakeups import QueueWakeups


async def job_ids(redis: ArqRedis) -> list[str]:
    return sorted(job.job_id for job in await redis.queued_jobs() if job.job_id)


async def held_store() -> tuple[Tenant, OutboundMessage]:
    """A store whose message could not be paid: on hold, the message queued."""
    tenant = await tenancy.create_tenant(tenant_in=tenancy.TenantIn(name="Ketab", currency="IRR"))
    customer = await Customer.create(tenant_id=tenant.id, external_id="c1", phone="+989120000001")
    message = await messaging.queue_sms(
        tenant=tenant, customer=customer, origin_key="test:1", purpose="transactional", body="سلام"
    )
    async with in_transaction() as connection:
        assert not await charging.charge_messages(connection, tenant, [(message.id, message.parts)])
    return tenant, message


async def test_the_wake_up_after_a_top_up_resumes_the_store(db: None, redis: ArqRedis) -> None:
    """funds_added through the queue: the hold is lifted, the queued message's delivery and the journeys'
    poller are enqueued, and a campaign paused for funds is sending again with its dispatch woken."""
    # given
    tenant, message = await held_store()
    campaign = await Campaign.create(
        tenant_id=tenant.id,
        name="یلدا",
        template="سلام",
        status="paused",
        pause_reason="insufficient_funds",
        launched_at=datetime.now(UTC),
    )
    await wallet.top_up(tenant.id, amount=10_000, key="t", reference="test")
    # when
    await QueueWakeups(redis).funds_added(tenant.id)
    [job] = await redis.queued_jobs()
    outcome = await billing_funds_added({"redis": redis}, *job.args)
    # then
    assert job.function == "billing_funds_added"
    assert outcome == "resumed 1 campaigns, 1 messages"
    assert await holds.on_hold(tenant.id) is None
    assert (await Campaign.get(id=campaign.id)).status == "sending"
    ids = await job_ids(redis)
    assert f"deliver:{message.id}" in ids
    assert any(job_id.startswith(f"journeys:{tenant.id}:") for job_id in ids)
    functions = sorted(job.function for job in await redis.queued_jobs())
    assert functions == ["advance_journeys", "billing_funds_added", "deliver_message", "dispatch_campaigns"]


async def test_a_wake_up_while_the_wallet_still_cannot_pay_resumes_nothing(db: None, redis: ArqRedis) -> None:
    """Too small a top-up: the store stays on hold and nothing is enqueued."""
    # given
    tenant, _ = await held_store()
    await wallet.top_up(tenant.id, amount=100, key="t", reference="test")
    # when
    outcome = await billing_funds_added({"redis": redis}, str(tenant.id))
    # then
    assert outcome == "on hold"
    assert await job_ids(redis) == []


async def test_the_minute_cron_finds_held_stores_and_due_renewals(db: None, redis: ArqRedis) -> None:
    """Without any wake-up, the cron enqueues one resume per held store and one renewal per ended annual
    period; the renewal job renews once."""
    # given
    tenant, _ = await held_store()
    annual = await tenancy.create_tenant(tenant_in=tenancy.TenantIn(name="Gol", currency="IRR"))
    await wallet.top_up(annual.id, amount=100_000_000, key="t", reference="test")
    await plans.subscribe(
        tenant_id=annual.id, plan="annual", client_key="k", now=datetime.now(UTC) - timedelta(days=366)
    )
    # when
    enqueued = await billing_minute({"redis": redis})
    ids = await job_ids(redis)
    renewed = await billing_renew({"redis": redis}, str(annual.id))
    # then
    assert enqueued == 2
    assert [job_id.split(":")[:2] for job_id in ids] == sorted(
        [["funds", str(tenant.id)], ["renew", str(annual.id)]]
    )
    assert renewed == "renewed"
    assert (await wallet.balance(annual.id)).balance == 0
