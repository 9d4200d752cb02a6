"""How the API tells the worker there is work: an arq job on the app's Redis queue.

The API's resolvers see only :class:`graph.core.context.Wakeups`; this is the one implementation, wired
in by :func:`revisit.app.create_app`, so ``graph`` never imports ``jobs``.
"""

from __future__ import annotations

from uuid import UUID

from arq.connections import ArqRedis

from jobs.billing import enqueue_funds_added
from jobs.campaign_dispatch import enqueue_dispatch
from jobs.queue import enqueue_ingest


class QueueWakeups:
    """Wakes a worker through the queue (one ``process_events`` job per tenant per second at most)."""

    def __init__(self, queue: ArqRedis) -> None:
        self.queue = queue

    async def events_received(self, tenant_id: UUID) -> None:
        await enqueue_ingest(self.queue, tenant_id)

    async def campaign_ready(self, tenant_id: UUID) -> None:
        await enqueue_dispatch(self.queue, tenant_id)

    async def funds_added(self, tenant_id: UUID) -> None:
        await enqueue_funds_added(self.queue, tenant_id)
