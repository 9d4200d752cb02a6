"""The thin jobs around the journeys poller and delivery: what they enqueue under which id, that Redis
only wakes (a flush loses no step), and how delivery retries."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest
from arq import Retry
from arq.connections import ArqRedis
from tortoise.transactions import in_transaction

from domain.automation import engine
from domain.automation.enrolment import EnrolledRun
from domain.automation.models import AutomationRun
from domain.events.domain_events import CustomerCreated, OrderCompleted
from domain.incentives.models import CreditEntry
from domain.messaging.models import OutboundMessage
from domain.messaging.providers import ConsoleProvider, RetryableSendError, SendResult
from jobs.automation import TICK_SECONDS, advance_journeys, advance_run, enqueue_runs, poll_journeys
from jobs.messaging import deliver_message, reconcile_messages, retry_delay
from tests.support.automation import make_automation, make_customer, make_order, make_tenant
from tests.support.journeys import make_journey


class BusyProvider:
    name = "busy"

    async def send(self, *, receptor: str, message: str, sender: str | None, local_id: str) -> SendResult:
        raise RetryableSendError("busy")


async def enrolled_run() -> EnrolledRun:
    """A cashback run enrolled just now (so due now: jobs use the real clock)."""
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


async def test_advancing_a_store_enqueues_delivery_of_its_message_once(db: None, redis: ArqRedis) -> None:
    """advance_journeys completes the due run and wakes deliver_message for its SMS; a second call
    finds nothing due and enqueues nothing more."""
    # given
    run = await enrolled_run()
    ctx = {"redis": redis}
    # when
    first = await advance_journeys(ctx, str(run.tenant_id))
    second = await advance_journeys(ctx, str(run.tenant_id))
    # then
    message = await OutboundMessage.get()
    assert (first, second) == ("advanced 1, 1 messages", "advanced 0, 0 messages")
    assert (await AutomationRun.get(id=run.id)).state == "completed"
    assert await job_ids(redis) == [f"deliver:{message.id}"]


async def test_runs_due_in_the_same_second_share_one_wake_up(db: None, redis: ArqRedis) -> None:
    """Enqueueing a store's runs wakes its poller once per due second (the second at or after the due
    moment, never before it), under journeys:<tenant>:<second>, however many runs and however often."""
    # given
    run = await enrolled_run()
    twin = EnrolledRun(run.id, run.tenant_id, run.automation_id, run.customer_id, 0, run.due_at)
    # when
    await enqueue_runs(redis, [run, twin])
    await enqueue_runs(redis, [run])
    # then
    assert await job_ids(redis) == [f"journeys:{run.tenant_id}:{math.ceil(run.due_at.timestamp())}"]


async def test_a_run_that_goes_to_sleep_sets_its_own_wake_up(db: None, redis: ArqRedis) -> None:
    """A run reaching a wait is woken at the wait's end by a deferred job of that second."""
    # given
    tenant = await make_tenant()
    journey = await make_journey(
        tenant,
        {
            "trigger": {"type": "event", "event": "customer.created"},
            "steps": [{"type": "wait", "duration": {"hours": 2}}, {"type": "add_tag", "tag": "welcomed"}],
        },
    )
    customer = await make_customer(tenant)
    now = datetime.now(UTC)
    async with in_transaction():
        await engine.handle([CustomerCreated(tenant.id, customer.id, now)], now=now)
    # when
    await advance_journeys({"redis": redis}, str(tenant.id))
    # then
    run = await AutomationRun.get(automation_id=journey.id)
    assert run.state == "waiting"
    assert await job_ids(redis) == [f"journeys:{tenant.id}:{math.ceil(run.due_at.timestamp())}"]


async def test_after_a_redis_flush_the_tick_finds_the_due_store_and_the_step_runs_once(
    db: None, redis: ArqRedis
) -> None:
    """Redis only wakes: with every wake-up flushed away, the cron asks PostgreSQL, wakes the store
    under journeys:<tenant>:tick:<n>, and the run's steps are done exactly once."""
    # given
    run = await enrolled_run()
    await enqueue_runs(redis, [run])
    await redis.flushdb()
    # when
    stores = await poll_journeys({"redis": redis})
    [job_id] = await job_ids(redis)
    await advance_journeys({"redis": redis}, str(run.tenant_id))
    await advance_journeys({"redis": redis}, str(run.tenant_id))
    # then
    assert stores == 1
    assert job_id.startswith(f"journeys:{run.tenant_id}:tick:")
    assert int(job_id.rsplit(":", 1)[1]) * TICK_SECONDS <= datetime.now(UTC).timestamp()
    assert await CreditEntry.filter(kind="cashback").count() == 1
    assert await OutboundMessage.all().count() == 1


async def test_the_tick_wakes_nobody_when_nothing_is_due(db: None, redis: ArqRedis) -> None:
    """A store whose only run waits in the future is not woken by the tick."""
    # given
    run = await enrolled_run()
    await AutomationRun.filter(id=run.id).update(
        state="waiting", due_at=datetime.now(UTC) + timedelta(hours=1)
    )
    # when
    stores = await poll_journeys({"redis": redis})
    # then
    assert stores == 0
    assert await job_ids(redis) == []


async def test_a_wake_up_from_an_earlier_release_still_advances_its_run(db: None, redis: ArqRedis) -> None:
    """advance_run (the job id advance:<run>:<step> of the first release) carries the run on."""
    # given
    run = await enrolled_run()
    # when
    state = await advance_run({"redis": redis}, str(run.id))
    # then
    message = await OutboundMessage.get()
    assert state == "completed"
    assert await job_ids(redis) == [f"deliver:{message.id}"]


async def test_delivery_retries_later_on_transient_errors(db: None, redis: ArqRedis) -> None:
    """A retryable provider error becomes arq's Retry with backoff; success returns the new status."""
    # given
    run = await enrolled_run()
    await advance_journeys({"redis": redis}, str(run.tenant_id))
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
    run = await enrolled_run()
    await advance_journeys({"redis": redis}, str(run.tenant_id))
    message = await OutboundMessage.get()
    await redis.flushdb()
    fresh = await reconcile_messages({"redis": redis})
    await OutboundMessage.filter(id=message.id).update(updated_at=message.updated_at - timedelta(minutes=2))
    # when
    stale = await reconcile_messages({"redis": redis})
    # then
    assert (fresh, stale) == (0, 1)
    assert await job_ids(redis) == [f"deliver:{message.id}"]
