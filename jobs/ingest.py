"""Processing of received events, one job per tenant."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from domain.automation import engine
from domain.automation.models import AutomationRun
from domain.events.models import IngestedEvent
from domain.events.processing import expire_waiting, process_pending
from jobs.automation import enqueue_runs
from jobs.queue import enqueue_ingest

BATCH = 500


async def process_events(ctx: dict[str, Any], tenant_id: str) -> dict[str, int]:
    """Process the tenant's pending events in batches; wake the automation runs they started."""
    totals = {"processed": 0, "failed": 0, "waiting": 0, "runs": 0}
    while True:
        report = await process_pending(
            tenant_id=UUID(tenant_id), now=datetime.now(UTC), limit=BATCH, handlers=[engine.handle]
        )
        runs = [item for item in report.created if isinstance(item, AutomationRun)]
        await enqueue_runs(ctx["redis"], runs)
        totals["processed"] += report.processed
        totals["failed"] += report.failed
        totals["waiting"] += report.waiting
        totals["runs"] += len(runs)
        if report.handled < BATCH:
            return totals


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
