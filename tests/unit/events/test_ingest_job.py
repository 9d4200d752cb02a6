"""The ingest job: one job drains a store's pending events, and a busy store is looked at again soon."""

from __future__ import annotations

import asyncio
import time

from arq.connections import ArqRedis
from tortoise.transactions import in_transaction

from domain.events.models import IngestedEvent
from domain.events.service import store_events
from jobs.ingest import process_events
from tests.support.factories import make_owner
from tests.unit.events.test_batch_processing import history

LOCK = "SELECT pg_advisory_xact_lock(hashtext($1))"


async def test_one_job_processes_every_pending_event_not_only_the_first_batch(
    db: None, redis: ArqRedis
) -> None:
    """1,200 pending events (more than two batches): one job leaves none pending, without a cron."""
    # given
    owner = await make_owner()
    events = history(400)
    for start in range(0, len(events), 500):
        await store_events(tenant_id=owner.tenant.id, source="api", raw_events=events[start : start + 500])
    # when
    totals = await process_events({"redis": redis}, str(owner.tenant.id))
    # then
    assert totals["processed"] == 1200
    assert await IngestedEvent.filter(tenant_id=owner.tenant.id, status="pending").count() == 0


async def test_a_job_that_finds_the_store_busy_leaves_it_and_looks_again_a_second_later(
    db: None, redis: ArqRedis
) -> None:
    """While another worker holds the store's events, a job takes nothing, does not wait for them, and
    queues one more look about a second later (the holder may be finishing as new events arrive)."""
    # given: another worker holds the store (its own task, so its own connection)
    owner = await make_owner()
    await store_events(tenant_id=owner.tenant.id, source="api", raw_events=history(2))
    held, done = asyncio.Event(), asyncio.Event()

    async def other_worker() -> None:
        async with in_transaction() as connection:
            await connection.execute_query(LOCK, [str(owner.tenant.id)])
            held.set()
            await done.wait()

    holder = asyncio.create_task(other_worker())
    await held.wait()
    # when
    try:
        totals = await process_events({"redis": redis}, str(owner.tenant.id))
    finally:
        done.set()
        await holder
    # then
    assert totals == {"processed": 0, "failed": 0, "waiting": 0, "runs": 0}
    assert await IngestedEvent.filter(tenant_id=owner.tenant.id, status="pending").count() == 6
    [again] = [job for job in await redis.queued_jobs() if job.function == "process_events"]
    assert again.args == (str(owner.tenant.id),)
    assert 0 < again.score / 1000 - time.time() <= 1.5
