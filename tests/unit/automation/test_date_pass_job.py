"""The date pass as jobs: the hourly planner enqueues one pass per store and local day from 09:00 there,
the pass job wakes the store's journeys for what it enrolled, and two passes at once enrol each
customer once."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

from arq.connections import ArqRedis
from arq.jobs import Job

from domain.automation.date_calendar import local_day
from domain.automation.date_triggers import run_pass
from domain.automation.models import AutomationRun
from domain.customers.models import Customer
from jobs.journey_dates import pass_due, pass_job_id, plan_journey_dates, run_journey_dates
from tests.support.journey_history import local, make_journey, make_person, make_store

WINBACK = {"trigger": {"type": "days_since_last_order", "min_days": 30, "max_days": 90}}
ZONES = (
    "Asia/Tehran",
    "America/Los_Angeles",
    "Pacific/Kiritimati",
    "Europe/London",
    "Asia/Tokyo",
    "Pacific/Pago_Pago",
)


async def test_the_planner_enqueues_one_pass_per_store_whose_morning_has_come(
    db: None, redis: ArqRedis
) -> None:
    """Stores around the world with a date journey: those at 09:00 or later locally get a pass for
    their own day (job id journey-dates:<tenant>:<day>); the others, and stores without one, none."""
    # given
    stores = {zone: await make_store(timezone=zone) for zone in ZONES}
    for store in stores.values():
        await make_journey(store, WINBACK)
    idle = await make_store()
    await make_journey(idle, {"trigger": {"type": "event", "event": "customer.created"}})
    # when
    before = datetime.now(UTC)
    planned = await plan_journey_dates({"redis": redis})
    after = datetime.now(UTC)
    # then
    due = {zone: pass_due(now=before, timezone=zone) for zone in ZONES}
    if due != {zone: pass_due(now=after, timezone=zone) for zone in ZONES}:
        return  # an hour turned while planning: nothing certain to compare
    expected = {pass_job_id(stores[zone].id, day) for zone, day in due.items() if day is not None}
    assert planned == len(expected)
    for zone, day in due.items():
        if day is None:
            continue
        job = Job(pass_job_id(stores[zone].id, day), redis)
        info = await job.info()
        assert info is not None and info.function == "run_journey_dates"
        assert info.args == (str(stores[zone].id), day.isoformat())
    again = await plan_journey_dates({"redis": redis})
    assert again == planned  # the same ids: arq keeps one job per id while it waits


async def test_the_pass_job_wakes_the_store_for_the_runs_it_enrolled(db: None, redis: ArqRedis) -> None:
    """Two lapsed customers are enrolled and the store's journeys are woken; run again, it enrols nobody."""
    # given
    tenant = await make_store()
    await make_journey(tenant, WINBACK)
    today = local_day(datetime.now(UTC), tenant.timezone)
    for days in (40, 50):
        await make_person(tenant, last_order_at=local(today - timedelta(days=days), 12, tenant))
    ctx = {"redis": redis}
    # when
    first = await run_journey_dates(ctx, str(tenant.id), today.isoformat())
    second = await run_journey_dates(ctx, str(tenant.id), today.isoformat())
    # then
    assert first.startswith("2 enrolled by 1 journeys") and second.startswith("0 enrolled")
    queued = await redis.queued_jobs()
    assert any(job.function == "advance_journeys" and job.args == (str(tenant.id),) for job in queued)


async def test_two_passes_at_once_enrol_each_customer_once(db: None) -> None:
    """The same day's pass started twice at the same time: every lapsed customer has exactly one run."""
    # given
    tenant = await make_store()
    journey = await make_journey(tenant, WINBACK)
    day = date(2026, 11, 22)
    for index in range(20):
        await make_person(tenant, last_order_at=local(day - timedelta(days=31 + index), 12, tenant))
    now = datetime(2026, 11, 22, 6, 0, tzinfo=UTC)
    # when
    results = await asyncio.gather(*(run_pass(tenant_id=tenant.id, day=day, now=now) for _ in range(2)))
    # then
    assert sum(len(result.enrolled) for result in results) == 20
    assert await AutomationRun.filter(automation_id=journey.id).count() == 20
    assert all(journey.error is None for result in results for journey in result.journeys)


async def test_a_bulk_pass_enrols_each_lapsed_customer_once(db: None) -> None:
    """A pass of 1,200 lapsed customers (one enrolment statement for all) enrols every one once, and the
    pass again enrols nobody."""
    # given
    tenant = await make_store()
    journey = await make_journey(tenant, WINBACK)
    day = date(2026, 11, 22)
    lapse = local(day - timedelta(days=45), 12, tenant)
    await Customer.bulk_create(
        [
            Customer(
                tenant_id=tenant.id,
                external_id=f"bulk{index}",
                phone=f"+98936{index:07d}",
                last_order_at=lapse,
            )
            for index in range(1_200)
        ]
    )
    now = datetime(2026, 11, 22, 6, 0, tzinfo=UTC)
    # when
    first = await run_pass(tenant_id=tenant.id, day=day, now=now)
    again = await run_pass(tenant_id=tenant.id, day=day, now=now)
    # then
    assert (len(first.enrolled), len(again.enrolled)) == (1_200, 0)
    assert await AutomationRun.filter(automation_id=journey.id).count() == 1_200
