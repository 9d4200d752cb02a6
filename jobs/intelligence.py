"""The nightly refresh of every store, at night in the store's own timezone.

An hourly cron finds the stores whose local time has passed :data:`REFRESH_HOUR` since their last
refresh (or that were never refreshed) and enqueues one job per store and local day
(``intelligence:<tenant>:<day>``); the job does nothing when the store was already refreshed that day,
so a repeated job or a restarted worker costs one query.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any, Final
from uuid import UUID
from zoneinfo import ZoneInfo

from arq.cron import CronJob, cron
from tortoise import connections

from domain.automation import engine
from domain.events.domain_events import DomainEvent
from domain.intelligence.models import StoreIntelligence
from domain.intelligence.refresh import refresh_store
from jobs.automation import enqueue_runs

REFRESH_HOUR: Final = 3
"""The local hour from which a store's day is refreshed (a quiet hour for most stores)."""

_STORES = """
SELECT t.id, t.timezone, i.refreshed_on FROM tenants AS t
LEFT JOIN store_intelligence AS i ON i.tenant_id = t.id
"""


def refresh_due(*, now: datetime, timezone: str, refreshed_on: date | None) -> date | None:
    """The local day a store should be refreshed for now, or None when it is up to date."""
    local = now.astimezone(ZoneInfo(timezone))
    if refreshed_on is None:
        return local.date()
    if local.hour >= REFRESH_HOUR and refreshed_on < local.date():
        return local.date()
    return None


async def plan_store_refreshes(ctx: dict[str, Any]) -> int:
    """Cron: enqueue the refresh of every store whose night has come. Returns how many."""
    now = datetime.now(UTC)
    rows = await connections.get("default").execute_query_dict(_STORES)
    planned = 0
    for row in rows:
        day = refresh_due(now=now, timezone=row["timezone"], refreshed_on=row["refreshed_on"])
        if day is None:
            continue
        await ctx["redis"].enqueue_job(
            "refresh_store_intelligence",
            str(row["id"]),
            day.isoformat(),
            _job_id=f"intelligence:{row['id']}:{day}",
        )
        planned += 1
    return planned


async def refresh_store_intelligence(ctx: dict[str, Any], tenant_id: str, day: str) -> str:
    """Refresh one store for one local day, once; wake the runs that segment entries enrolled."""
    done = await StoreIntelligence.filter(
        tenant_id=UUID(tenant_id), refreshed_on=date.fromisoformat(day)
    ).exists()
    if done:
        return "fresh"
    enrolled: list[engine.EnrolledRun] = []

    async def enrol(events: Sequence[DomainEvent], *, now: datetime) -> list[engine.EnrolledRun]:
        runs = await engine.handle(events, now=now)
        enrolled.extend(runs)
        return runs

    result = await refresh_store(tenant_id=UUID(tenant_id), now=datetime.now(UTC), handlers=(enrol,))
    await enqueue_runs(ctx["redis"], enrolled)
    return f"rescored {result.customers_rescored}, {len(result.segments)} segments"


INTELLIGENCE_FUNCTIONS = [refresh_store_intelligence]
INTELLIGENCE_CRON: list[CronJob] = [
    cron(plan_store_refreshes, minute=10, second=15, unique=True, run_at_startup=True)
]
