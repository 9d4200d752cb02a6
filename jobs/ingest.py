"""Processing of received events, one job per tenant."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from domain.automation.engine import EnrolledRun
from domain.events.models import IngestedEvent
from domain.events.processing import ProcessReport, drain, expire_waiting
from jobs.automation import enqueue_runs
from jobs.metrics import count_processed_events
from jobs.queue import enqueue_ingest
from revisit import live

BUSY_RETRY_SECONDS = 1
"""When another worker holds the store's events, look again this much later: that worker may be just
finishing, after its last look, as this job's events arrived."""


async def process_events(ctx: dict[str, Any], tenant_id: str) -> dict[str, int]:
    """Process the tenant's pending events until none is left; wake the automation runs they started."""

    async def after_batch(report: ProcessReport) -> None:
        count_processed_events(processed=report.processed, failed=report.failed, waiting=report.waiting)
        await live.publish(
            ctx.get("redis"),
            live.monitor_channel(tenant_id),
            {"events_processed": report.processed, "events_failed": report.failed},
        )
        await enqueue_runs(ctx["redis"], [item for item in report.created if isinstance(item, EnrolledRun)])

    totals = await drain(tenant_id=UUID(tenant_id), on_batch=after_batch)
    if totals.busy:
        await enqueue_ingest(ctx["redis"], tenant_id, defer_seconds=BUSY_RETRY_SECONDS)
    runs = sum(1 for item in totals.created if isinstance(item, EnrolledRun))
    return {"processed": totals.processed, "failed": totals.failed, "waiting": totals.waiting, "runs": runs}


async def reconcile_events(ctx: dict[str, Any]) -> int:
    """Cron: wake processing for every tenant with pending events (Redis may have lost the wake-up)."""
    tenants: list[UUID] = (
        await IngestedEvent.filter(status="pending")
        .distinct()
        .values_list(  # type: ignore[assignment]
            "tenant_id", flat=True
        )
    )
    for tenant_id in tenants:
        await enqueue_ingest(ctx["redis"], tenant_id)
    return len(tenants)


async def expire_waiting_events(ctx: dict[str, Any]) -> int:
    """Cron: fail the events that waited too long for the order they refer to (kept for replay)."""
    return await expire_waiting(now=datetime.now(UTC))
