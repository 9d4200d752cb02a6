"""The queue's name and the wake-ups the API sends to workers (the API enqueues; workers run)."""

from __future__ import annotations

import time
from uuid import UUID

from arq.connections import ArqRedis

QUEUE_NAME = "revisit:queue"


def ingest_job_id(tenant_id: UUID | str) -> str:
    # One wake-up per tenant per second is plenty: a running job keeps going while events are pending,
    # and row locks make two jobs for one tenant safe.
    return f"ingest:{tenant_id}:{int(time.time())}"


async def enqueue_ingest(queue: ArqRedis, tenant_id: UUID | str) -> None:
    """Wake a worker to process the tenant's pending events."""
    await queue.enqueue_job("process_events", str(tenant_id), _job_id=ingest_job_id(tenant_id))
