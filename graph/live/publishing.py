"""The API's publishes to the event monitor: events stored by ingestion (REST, GraphQL, webhooks)."""

from __future__ import annotations

from uuid import UUID

from domain.events.schema import EventBatchResult
from graph.core.context import Context
from revisit.live import monitor_channel, publish


async def events_received(context: Context, tenant_id: UUID, result: EventBatchResult) -> None:
    """Tell the store's monitor how many events a batch stored (one publish per batch; never fails)."""
    if result.accepted:
        await publish(context.queue, monitor_channel(tenant_id), {"events_received": result.accepted})
