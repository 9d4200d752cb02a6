"""The daily date-trigger pass of every store, from a decent hour of the store's own day.

An hourly cron lists the stores with an active date journey and, for each one whose local time has
reached :data:`PASS_HOUR`, enqueues one job for the store's local day (``journey-dates:<tenant>:<day>``;
the id only saves work while a job is queued or running). The job runs the pass
(``domain.automation.date_triggers.run_pass``) and wakes the runs it enrolled. Later hours of the same
day run the pass again: its enrolment keys make that enrol only customers who became eligible since
(a customer imported at noon), and a pass missed at nine is made up at ten.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from arq.cron import CronJob, cron

from domain.automation.date_triggers import PASS_HOUR, run_pass, stores_with_date_journeys
from jobs.automation import enqueue_runs


def pass_due(*, now: datetime, timezone: str) -> date | None:
    """The store's local day to run the pass for at ``now``, or None before :data:`PASS_HOUR` there."""
    local = now.astimezone(ZoneInfo(timezone))
    return local.date() if local.hour >= PASS_HOUR else None


def pass_job_id(tenant_id: UUID | str, day: date) -> str:
    return f"journey-dates:{tenant_id}:{day.isoformat()}"


async def plan_journey_dates(ctx: dict[str, Any]) -> int:
    """Cron: enqueue the day's pass of every store with date journeys whose morning has come."""
    now = datetime.now(UTC)
    planned = 0
    for tenant_id, timezone in await stores_with_date_journeys():
        day = pass_due(now=now, timezone=timezone)
        if day is None:
            continue
        await ctx["redis"].enqueue_job(
            "run_journey_dates", str(tenant_id), day.isoformat(), _job_id=pass_job_id(tenant_id, day)
        )
        planned += 1
    return planned


async def run_journey_dates(ctx: dict[str, Any], tenant_id: str, day: str) -> str:
    """Run one store's date pass for one local day and wake the runs it enrolled."""
    result = await run_pass(tenant_id=UUID(tenant_id), day=date.fromisoformat(day), now=datetime.now(UTC))
    await enqueue_runs(ctx["redis"], result.enrolled)
    failed = sum(1 for journey in result.journeys if journey.error)
    return f"{len(result.enrolled)} enrolled by {len(result.journeys)} journeys ({failed} failed)"


JOURNEY_DATES_FUNCTIONS = [run_journey_dates]
JOURNEY_DATES_CRON: list[CronJob] = [
    cron(plan_journey_dates, minute=7, second=45, unique=True, run_at_startup=True)  # hourly
]
