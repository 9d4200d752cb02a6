"""Journey jobs: wake a store's poller when runs fall due, and find due stores in case a wake-up was
lost; release matured credit.

Jobs may run more than once; PostgreSQL decides what is due and the poller's locks make a repeat
harmless (:mod:`domain.automation.poller`). Job ids only save work:

- ``journeys:<tenant>:<unix second>`` — a store's runs due at that second (enrolled, or waking up from
  a wait): enqueued after the transaction that wrote them commits, deferred until then;
- ``journeys:<tenant>:tick:<unix second // 5>`` — the cron's wake-up of a store with due runs.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any, Final
from uuid import UUID

from arq.connections import ArqRedis
from arq.cron import CronJob, cron

from domain.automation import engine, poller
from domain.automation.enrolment import EnrolledRun
from domain.automation.models import AutomationRun
from domain.incentives import ledger
from domain.incentives.models import CreditAccount
from jobs.messaging import enqueue_deliveries

TICK_SECONDS: Final = 5
"""How often the cron asks PostgreSQL which stores have due runs."""


def journeys_job_id(tenant_id: UUID | str, at: datetime) -> str:
    return f"journeys:{tenant_id}:{int(at.timestamp())}"


async def wake(queue: ArqRedis, tenant_id: UUID | str, moments: Iterable[datetime]) -> None:
    """Wake the store's poller at each of ``moments`` (one job per store and second)."""
    for at in sorted({_second_after(moment) for moment in moments}):
        await queue.enqueue_job(
            "advance_journeys", str(tenant_id), _job_id=journeys_job_id(tenant_id, at), _defer_until=at
        )


def _second_after(moment: datetime) -> datetime:
    """The whole second at or after ``moment``: a wake-up never comes before its run is due."""
    whole = moment.replace(microsecond=0)
    return whole if whole == moment else whole + timedelta(seconds=1)


async def enqueue_runs(queue: ArqRedis, runs: Iterable[AutomationRun | EnrolledRun]) -> None:
    """Wake the pollers of these runs' stores at their ``due_at``. Call after the transaction that
    wrote them commits."""
    by_store: dict[UUID, set[datetime]] = {}
    for run in runs:
        tenant_id: UUID = run.tenant_id  # type: ignore[union-attr]
        by_store.setdefault(tenant_id, set()).add(run.due_at)
    for tenant_id, moments in by_store.items():
        await wake(queue, tenant_id, moments)


async def advance_journeys(ctx: dict[str, Any], tenant_id: str) -> str:
    """Advance the store's due runs, then deliver the messages they queued and set the wake-ups of
    the runs that went to sleep."""
    result = await poller.drain(tenant_id=UUID(tenant_id), now=datetime.now(UTC))
    await enqueue_deliveries(ctx["redis"], result.messages)
    await wake(ctx["redis"], tenant_id, result.wake_at)
    if result.busy:
        return "busy"
    return f"advanced {result.taken}, {len(result.messages)} messages"


async def poll_journeys(ctx: dict[str, Any]) -> int:
    """Cron: wake the poller of every store with due runs — what makes time durable when Redis lost
    (or never had) a wake-up. Returns how many stores."""
    now = datetime.now(UTC)
    tick = int(now.timestamp()) // TICK_SECONDS
    stores = await poller.due_stores(now=now)
    for tenant_id in stores:
        await ctx["redis"].enqueue_job(
            "advance_journeys", str(tenant_id), _job_id=f"journeys:{tenant_id}:tick:{tick}"
        )
    return len(stores)


async def advance_run(ctx: dict[str, Any], run_id: str) -> str:
    """One run's due steps (wake-ups queued by earlier releases, and by hand)."""
    result = await engine.advance(run_id=UUID(run_id), now=datetime.now(UTC))
    await enqueue_deliveries(ctx["redis"], result.message_ids)
    if result.run.state in engine.OPEN_STATES:
        await enqueue_runs(ctx["redis"], [result.run])
    return result.run.state


async def release_credit(ctx: dict[str, Any]) -> int:
    """Cron: fan out one ``release_tenant_credit`` job per tenant that has pending credit."""
    hour = datetime.now(UTC).strftime("%Y%m%d%H")
    tenant_ids = await CreditAccount.exclude(pending=0).distinct().values_list("tenant_id", flat=True)
    for tenant_id in tenant_ids:
        await ctx["redis"].enqueue_job(
            "release_tenant_credit", str(tenant_id), _job_id=f"release-credit:{tenant_id}:{hour}"
        )
    return len(tenant_ids)


async def release_tenant_credit(ctx: dict[str, Any], tenant_id: str) -> int:
    """Move one tenant's matured pending credit to available in the cached balances."""
    return await ledger.release_matured(tenant_id=UUID(tenant_id), now=datetime.now(UTC))


AUTOMATION_FUNCTIONS = [advance_journeys, advance_run, release_tenant_credit]
AUTOMATION_CRON: list[CronJob] = [
    cron(
        poll_journeys,
        second=set(range(0, 60, TICK_SECONDS)),
        unique=True,
        run_at_startup=True,
        timeout=timedelta(seconds=30),
    ),
    cron(release_credit, minute=5, run_at_startup=True),  # hourly
]
