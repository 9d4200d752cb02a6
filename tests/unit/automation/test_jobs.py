"""The thin jobs around the engine and delivery: what they enqueue, and how they retry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from arq import Retry
from arq.connections import ArqRedis
from tortoise.transactions import in_transaction

from domain.automation import engine
from domain.automation.models import AutomationRun
from domain.events.domain_events import OrderCompleted
from domain.messaging.models import OutboundMessage
from domain.messaging.providers import ConsoleProvider, RetryableSendError, SendResult
from jobs.automation import advance_run, enqueue_runs, reconcile_runs
from jobs.messaging import deliver_message, reconcile_messages, retry_delay
from tests.support.automation import make_automation, make_customer, make_order, make_tenant


class BusyProvider:
    name = "busy"

    async def send(self, *, receptor: str, message: str, sender: str | None, local_id: str) -> SendResult:
        raise RetryableSendError("busy")


async def enrolled_run() -> AutomationRun:
    """A run enrolled just now (so due now: jobs use the real clock)."""
    tenant = await make_tenant()
    await make_automation(tenant)
    customer = await make_customer(tenant)
    order = await make_order(tenant, customer)
    now = datetime.now(UTC)
    async with in_transaction():
        [run] = await engine.handle(
            [
                OrderCompleted(
                    tenant_id=tenant.id, order_id=order.id, customer_id=customer.id, occurred_at=now
                )
            ],
            now=now,
        )
    return run


async def job_ids(redis: ArqRedis) -> list[str]:
    return sorted(job.job_id for job in await redis.queued_jobs() if job.job_id)


async def test_advancing_a_run_enqueues_delivery_of_its_message(db: None, redis: ArqRedis) -> None:
    """advance_run completes the run and wakes deliver_message for the SMS it queued, once."""
    # given
    run_id = str((await enrolled_run()).id)
    ctx = {"redis": redis}
    # when
    state = await advance_run(ctx, run_id)
    await advance_run(ctx, run_id)
    # then
    message = await OutboundMessage.get()
    assert state == "completed"
    assert await job_ids(redis) == [f"deliver:{message.id}"]


async def test_enqueued_runs_and_the_reconciler_share_one_job_id(db: None, redis: ArqRedis) -> None:
    """A due run is enqueued once, however many times ingestion or the reconciler wake it."""
    # given
    run = await enrolled_run()
    # when
    await enqueue_runs(redis, [run])
    reconciled = await reconcile_runs({"redis": redis})
    # then
    assert reconciled == 1
    assert await job_ids(redis) == [f"advance:{run.id}:0"]


async def test_delivery_retries_later_on_transient_errors(db: None, redis: ArqRedis) -> None:
    """A retryable provider error becomes arq's Retry with backoff; success returns the new status."""
    # given
    await advance_run({"redis": redis}, str((await enrolled_run()).id))
    message = await OutboundMessage.get()
    # when
    with pytest.raises(Retry) as retry:
        await deliver_message({"sms_provider": BusyProvider(), "job_try": 2}, str(message.id))
    sent = await deliver_message({"sms_provider": ConsoleProvider(), "job_try": 3}, str(message.id))
    # then
    assert retry.value.defer_score == retry_delay(2) / timedelta(milliseconds=1) == 60_000
    assert sent == "sent"


async def test_the_reconciler_wakes_stale_queued_messages(db: None, redis: ArqRedis) -> None:
    """Queued messages untouched for a minute are enqueued again; fresh ones are left alone."""
    # given
    await advance_run({"redis": redis}, str((await enrolled_run()).id))
    message = await OutboundMessage.get()
    await redis.flushdb()
    fresh = await reconcile_messages({"redis": redis})
    await OutboundMessage.filter(id=message.id).update(updated_at=message.updated_at - timedelta(minutes=2))
    # when
    stale = await reconcile_messages({"redis": redis})
    # then
    assert (fresh, stale) == (0, 1)
    assert await job_ids(redis) == [f"deliver:{message.id}"]
