"""The worker's Prometheus metrics: events processed, jobs run, SMS handed to providers.

They live in the worker process's default registry; ``revisit.worker`` serves them on their own port
(``REVISIT_WORKER_METRICS_PORT``), since the API cannot see another process's counters.

Job metrics come from arq's hooks (:func:`on_job_start`, :func:`on_job_end`, :func:`after_job_end` in
``WorkerSettings``). arq tells the hooks neither the function's name nor how it ended, so every job
function is wrapped by :func:`instrumented`, which notes both in the job's ``ctx``.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Awaitable, Callable, Sequence
from functools import wraps
from typing import Any, Final, cast

from arq import Retry
from arq.cron import CronJob
from arq.typing import WorkerCoroutine
from arq.worker import Function, func
from prometheus_client import Counter, Gauge, Histogram

EVENTS_PROCESSED = Counter(
    "revisit_events_processed",
    "Received events taken by processing, by outcome: processed, failed, or waiting for their order.",
    ["outcome"],
)
JOBS = Counter(
    "revisit_jobs",
    "Job runs that ended, by function and outcome (success, retry, failure).",
    ["function", "outcome"],
)
JOB_DURATION = Histogram(
    "revisit_job_duration_seconds",
    "How long job runs took, by function.",
    ["function"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
)
JOBS_RUNNING = Gauge("revisit_jobs_running", "Job runs started and not yet finished.")
SMS = Counter(
    "revisit_sms",
    "SMS delivery attempts, by provider and status: sent, failed (for good), retry (a transient "
    "failure, tried again later), out_of_credit (retried once the provider account is topped up), "
    "unknown (no answer came: looked up before anything is sent again).",
    ["provider", "status"],
)
SMS_REPORTS = Counter(
    "revisit_sms_delivery_reports",
    "Final delivery reports recorded, by provider and source (poll or callback).",
    ["provider", "source"],
)
SMS_INBOUND = Counter(
    "revisit_sms_inbound",
    "Inbound SMS stored (once per store they concern), by provider and source (poll or callback).",
    ["provider", "source"],
)

_FUNCTION: Final = "metrics_function"
_OUTCOME: Final = "metrics_outcome"
_STARTED: Final = "metrics_started"


def count_processed_events(*, processed: int, failed: int, waiting: int) -> None:
    """Add one processing pass's outcome to ``revisit_events_processed_total``."""
    for outcome, count in (("processed", processed), ("failed", failed), ("waiting", waiting)):
        if count:
            EVENTS_PROCESSED.labels(outcome=outcome).inc(count)


def count_sms(*, provider: str, status: str) -> None:
    """Count one delivery attempt in ``revisit_sms_total``."""
    SMS.labels(provider=provider, status=status).inc()


def count_reports(*, provider: str, source: str, count: int) -> None:
    """Add recorded delivery reports to ``revisit_sms_delivery_reports_total``."""
    if count:
        SMS_REPORTS.labels(provider=provider, source=source).inc(count)


def count_inbound(*, provider: str, source: str, count: int) -> None:
    """Add stored inbound SMS to ``revisit_sms_inbound_total``."""
    if count:
        SMS_INBOUND.labels(provider=provider, source=source).inc(count)


def instrumented_functions(functions: Sequence[Function | Callable[..., Awaitable[Any]]]) -> list[Function]:
    """The same job functions (a bare coroutine function made a ``func`` as arq would), each noting its
    name and how it ended in ``ctx`` for the hooks below."""
    made = [function if isinstance(function, Function) else func(function) for function in functions]  # type: ignore[arg-type]
    return [
        dataclasses.replace(function, coroutine=_noting(function.name, function.coroutine))
        for function in made
    ]


def instrumented_cron(jobs: Sequence[CronJob]) -> list[CronJob]:
    """The same cron jobs, each noting its name and how it ended in ``ctx`` for the hooks below."""
    return [dataclasses.replace(job, coroutine=_noting(job.name, job.coroutine)) for job in jobs]


def _noting(name: str, coroutine: WorkerCoroutine) -> WorkerCoroutine:
    @wraps(coroutine)
    async def run(ctx: dict[Any, Any], *args: Any, **kwargs: Any) -> Any:
        ctx[_FUNCTION] = name
        try:
            result = await coroutine(ctx, *args, **kwargs)
        except Retry:
            ctx[_OUTCOME] = "retry"
            raise
        except BaseException:  # a timeout or a cancellation ends the run too
            ctx[_OUTCOME] = "failure"
            raise
        ctx[_OUTCOME] = "success"
        return result

    return cast(WorkerCoroutine, run)


async def on_job_start(ctx: dict[str, Any]) -> None:
    ctx[_STARTED] = time.perf_counter()
    JOBS_RUNNING.inc()


async def on_job_end(ctx: dict[str, Any]) -> None:
    function = ctx.get(_FUNCTION, "unknown")
    JOBS.labels(function=function, outcome=ctx.get(_OUTCOME, "failure")).inc()
    if _STARTED in ctx:
        JOB_DURATION.labels(function=function).observe(time.perf_counter() - ctx[_STARTED])


async def after_job_end(ctx: dict[str, Any]) -> None:
    if _STARTED in ctx:
        JOBS_RUNNING.dec()
