"""Durable journeys with real worker processes: a Redis flushed between enqueue and run, and a worker
killed in the middle of a step, both leave every due step done exactly once."""

from __future__ import annotations

import asyncio
from pathlib import Path

from arq.connections import ArqRedis
from tortoise import Tortoise
from tortoise.transactions import in_transaction

from domain.automation.models import AutomationRun, AutomationStepEvent
from domain.automation.poller import lock_key
from domain.incentives.models import CreditAccount, CreditEntry
from domain.messaging.models import OutboundMessage
from jobs.automation import enqueue_runs
from revisit.services import ServiceUrls
from tests.support.automation import make_customer, make_tenant
from tests.support.factories import TEST_SECRET
from tests.support.journeys import enrol_customers, make_journey
from tests.support.worker_process import WorkerProcess, eventually

GIFT = {
    "trigger": {"type": "event", "event": "customer.created"},
    "steps": [
        {"id": "gift", "type": "grant_credit", "amount": 30_000, "expires_after_days": 14},
        {"id": "tell", "type": "send_sms", "template": "{credit} هدیه شما در {store}"},
    ],
}

_WAITING_ON_A_LOCK = """
SELECT count(*) AS waiting FROM pg_stat_activity
WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()
"""


async def completed(run_id: object) -> bool:
    return (await AutomationRun.get(id=run_id)).state == "completed"


async def test_a_flushed_redis_loses_no_step(
    db: None, redis: ArqRedis, service_urls: ServiceUrls, tmp_path: Path
) -> None:
    """The run's wake-up is flushed from Redis before any worker runs; a worker started afterwards
    finds the due run from PostgreSQL and does each step once."""
    # given
    tenant = await make_tenant()
    journey = await make_journey(tenant, GIFT)
    customer = await make_customer(tenant)
    [run] = await enrol_customers(journey, [customer], now=(await _db_now()))
    await enqueue_runs(redis, [run])
    await redis.flushdb()
    # when
    with WorkerProcess(service_urls, secret_key=TEST_SECRET, log_dir=tmp_path) as worker:
        worker.start()
        await eventually(lambda: completed(run.id), what="the run completing")
        await eventually(lambda: _sent(tenant.id), what="the SMS being sent")
    # then
    assert await CreditEntry.filter(tenant_id=tenant.id, kind="credit").count() == 1
    assert await OutboundMessage.filter(tenant_id=tenant.id).count() == 1
    assert await AutomationStepEvent.filter(run_id=run.id).count() == 2


async def test_a_worker_killed_mid_step_leaves_nothing_half_done_and_the_next_does_it_once(
    db: None, redis: ArqRedis, service_urls: ServiceUrls, tmp_path: Path
) -> None:
    """A worker is killed while its credit step waits on the customer's account: nothing it did is
    kept; after a Redis flush a new worker grants the credit and queues the SMS exactly once."""
    # given
    tenant = await make_tenant()
    journey = await make_journey(tenant, GIFT)
    customer = await make_customer(tenant)
    await CreditAccount.create(tenant_id=tenant.id, customer_id=customer.id)
    [run] = await enrol_customers(journey, [customer], now=(await _db_now()))
    held, release = asyncio.Event(), asyncio.Event()

    async def hold_the_account() -> None:
        async with in_transaction() as connection:
            await connection.execute_query(
                "SELECT 1 FROM credit_accounts WHERE tenant_id = $1 AND customer_id = $2 FOR UPDATE",
                [tenant.id, customer.id],
            )
            held.set()
            await release.wait()

    holder = asyncio.create_task(hold_the_account())
    await held.wait()
    with WorkerProcess(service_urls, secret_key=TEST_SECRET, log_dir=tmp_path) as worker:
        worker.start()
        await eventually(_a_step_waits_on_the_lock, what="the worker reaching the credit step")
        # when
        worker.kill()
        release.set()
        await holder
        await eventually(lambda: _store_free(tenant.id), what="the killed worker's transaction ending")
        kept = (
            await CreditEntry.filter(tenant_id=tenant.id).count(),
            await OutboundMessage.filter(tenant_id=tenant.id).count(),
            (await AutomationRun.get(id=run.id)).state,
        )
        await redis.flushdb()
        worker.start()
        await eventually(lambda: completed(run.id), what="the run completing after the restart")
    # then
    assert kept == (0, 0, "pending")
    [entry] = await CreditEntry.filter(tenant_id=tenant.id)
    assert (entry.kind, entry.amount, entry.idempotency_key) == ("credit", 30_000, f"run:{run.id}:step:gift")
    assert await OutboundMessage.filter(tenant_id=tenant.id).count() == 1
    assert [e.step_id for e in await AutomationStepEvent.filter(run_id=run.id).order_by("id")] == [
        "gift",
        "tell",
    ]


async def _db_now() -> object:
    [row] = await Tortoise.get_connection("default").execute_query_dict("SELECT now() AS now")
    return row["now"]


async def _sent(tenant_id: object) -> bool:
    return await OutboundMessage.filter(tenant_id=tenant_id, status="sent").exists()


async def _a_step_waits_on_the_lock() -> bool:
    [row] = await Tortoise.get_connection("default").execute_query_dict(_WAITING_ON_A_LOCK)
    return int(row["waiting"]) > 0


async def _store_free(tenant_id: object) -> bool:
    """No poller holds the store any more (the killed worker's transaction is gone)."""
    async with in_transaction() as connection:
        [row] = await connection.execute_query_dict(
            "SELECT pg_try_advisory_xact_lock(hashtext($1)) AS free",
            [lock_key(tenant_id)],  # type: ignore[arg-type]
        )
    return bool(row["free"])
