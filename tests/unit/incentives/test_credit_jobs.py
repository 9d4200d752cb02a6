"""The expiry cron: one pass per store and local day, through the real arq worker, once however often
the planner runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from arq.connections import ArqRedis

from domain.incentives import ledger
from domain.incentives.models import CreditAccount, CreditEntry
from jobs.credit import expiry_job_id, plan_credit_expiry
from revisit.services import ServiceUrls
from revisit.settings import Settings
from tests.support.automation import make_customer, make_tenant
from tests.support.worker import drain_queue


async def test_the_planner_enqueues_each_store_with_due_credit_once_a_day_and_the_worker_expires_it(
    db: None, redis: ArqRedis, settings: Settings, service_urls: ServiceUrls
) -> None:
    """A store whose credit expired yesterday gets one job for its local day, however often the planner
    runs; the worker expires the credit; a store whose credit has not expired gets no job."""
    # given
    now = datetime.now(UTC)
    expired, fresh = await make_tenant(), await make_tenant()
    for tenant, expires_at in [(expired, now - timedelta(days=2)), (fresh, now + timedelta(days=5))]:
        customer = await make_customer(tenant)
        await ledger.grant(
            tenant_id=tenant.id,
            customer_id=customer.id,
            amount=2_500,
            kind=ledger.CREDIT,
            idempotency_key="gift",
            available_at=expires_at - timedelta(days=30),
            expires_at=expires_at,
            now=now,
        )
    ctx = {"redis": redis}
    # when
    planned = [await plan_credit_expiry(ctx) for _ in range(3)]
    queued = await redis.queued_jobs()
    await drain_queue(settings, service_urls)
    replanned = await plan_credit_expiry(ctx)
    queued_after = await redis.queued_jobs()
    # then
    assert planned == [1, 1, 1]
    day = now.astimezone(ZoneInfo(expired.timezone)).date()
    assert [job.job_id for job in queued if job.function == "expire_tenant_credit"] == [
        expiry_job_id(expired.id, day)
    ]
    assert await CreditEntry.filter(tenant_id=expired.id, kind=ledger.EXPIRY).values_list(
        "amount", flat=True
    ) == [-2_500]
    assert (await CreditAccount.get(tenant_id=expired.id)).available == 0
    assert await CreditEntry.filter(tenant_id=fresh.id, kind=ledger.EXPIRY).count() == 0
    assert replanned == 1  # the store still has expired grants, but its day is done:
    assert [job for job in queued_after if job.function == "expire_tenant_credit"] == []
