"""The queue's name and the wake-ups the API sends to workers (the API enqueues; workers run)."""

from __future__ import annotations

import time
from uuid import UUID

from arq.connections import ArqRedis

QUEUE_NAME = "revisit:queue"


def ingest_job_id(tenant_id: UUID | str, at: float | None = None) -> str:
    # One wake-up per tenant per second is plenty: a running job keeps going until nothing is pending,
    # and a job that finds the store busy looks again a second later.
    return f"ingest:{tenant_id}:{int(time.time() if at is None else at)}"


async def enqueue_ingest(queue: ArqRedis, tenant_id: UUID | str, *, defer_seconds: float = 0) -> None:
    """Wake a worker to process the tenant's pending events (``defer_seconds`` from now)."""
    at = time.time() + defer_seconds
    await queue.enqueue_job(
        "process_events",
        str(tenant_id),
        _job_id=ingest_job_id(tenant_id, at),
        _defer_by=defer_seconds or None,
    )
