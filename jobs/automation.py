"""Automation jobs: advance runs, reconcile what Postgres says is due, release matured credit.

Jobs may run more than once; the engine's row lock and per-step keys make that harmless. Job ids
(``advance:<run>:<step>``) only save work: while one job for a step is queued or running, enqueueing
another for the same step does nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from arq.connections import ArqRedis
from arq.cron import CronJob, cron

from domain.automation import engine
from domain.automation.models import AutomationRun
from domain.incentives import ledger
from domain.incentives.models import CreditAccount
from jobs.messaging import enqueue_deliveries

RECONCILE_BATCH = 1000
"""The most runs one reconciler tick re-enqueues; the next tick picks up the rest."""


async def enqueue_runs(queue: ArqRedis, runs: Iterable[AutomationRun | engine.EnrolledRun]) -> None:
    """Wake a worker for each run at its ``due_at``. Call after the transaction that wrote them commits."""
    for run in runs:
        await queue.enqueue_job(
            "advance_run",
            str(run.id),
            _job_id=f"advance:{run.id}:{run.current_step}",
            _defer_until=run.due_at,
        )


async def advance_run(ctx: dict[str, Any], run_id: str) -> str:
    """Carry out a run's due steps, then enqueue delivery of the messages they queued."""
    result = await engine.advance(run_id=UUID(run_id), now=datetime.now(UTC))
    await enqueue_deliveries(ctx["redis"], result.message_ids)
    if result.run.state in engine.OPEN_STATES:
        await enqueue_runs(ctx["redis"], [result.run])
    return result.run.state


async def reconcile_runs(ctx: dict[str, Any]) -> int:
    """Cron: re-enqueue open runs that are due, in case Redis lost their wake-up. Returns how many."""
    runs = (
        await AutomationRun.filter(state__in=engine.OPEN_STATES, due_at__lte=datetime.now(UTC))
        .order_by("due_at")
        .limit(RECONCILE_BATCH)
    )
    await enqueue_runs(ctx["redis"], runs)
    return len(runs)


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


AUTOMATION_FUNCTIONS = [advance_run, release_tenant_credit]
AUTOMATION_CRON: list[CronJob] = [
    cron(reconcile_runs, run_at_startup=True, timeout=timedelta(minutes=1)),  # every minute
    cron(release_credit, minute=5, run_at_startup=True),  # hourly
]
