"""Every store is refreshed once per local day, at night in its own timezone, through the worker."""

from __future__ import annotations

from datetime import UTC, date, datetime

from arq.connections import ArqRedis

from domain.intelligence.models import StoreIntelligence
from domain.segments.models import Segment
from jobs.intelligence import plan_store_refreshes, refresh_due, refresh_store_intelligence
from tests.support.factories import make_owner
from tests.support.shop import days_before, deliver, order_event


def test_a_store_is_due_from_three_at_night_in_its_own_timezone() -> None:
    """02:59 in Tehran is not yet the new day's refresh; 03:00 is; a store never refreshed is due at once."""
    yesterday = date(2026, 11, 30)
    before = datetime(2026, 11, 30, 23, 29, tzinfo=UTC)  # 02:59 on 1 Dec in Tehran (+03:30)
    after = datetime(2026, 11, 30, 23, 30, tzinfo=UTC)  # 03:00 there
    assert refresh_due(now=before, timezone="Asia/Tehran", refreshed_on=yesterday) is None
    assert refresh_due(now=after, timezone="Asia/Tehran", refreshed_on=yesterday) == date(2026, 12, 1)
    assert refresh_due(now=after, timezone="Asia/Tehran", refreshed_on=date(2026, 12, 1)) is None
    # in London it is still 23:30 on 30 November
    assert refresh_due(now=after, timezone="Europe/London", refreshed_on=yesterday) is None
    assert refresh_due(now=after, timezone="Europe/London", refreshed_on=None) == date(2026, 11, 30)


async def test_the_planner_enqueues_each_due_store_once_and_the_job_runs_once(
    db: None, redis: ArqRedis
) -> None:
    """A store never refreshed gets one job per local day however often the planner runs; the job
    refreshes it (built-ins made) and a repeat of the job does nothing."""
    owner = await make_owner()
    now = datetime.now(UTC)
    await deliver(owner.tenant.id, [order_event(customer="sara", placed_at=days_before(now, 3))], now=now)
    ctx = {"redis": redis}
    # when
    assert await plan_store_refreshes(ctx) == 1
    await plan_store_refreshes(ctx)
    # then: one job is queued
    jobs = await redis.queued_jobs()
    assert [job.function for job in jobs] == ["refresh_store_intelligence"]
    tenant_id, day = jobs[0].args
    # when: it runs, twice
    first = await refresh_store_intelligence(ctx, tenant_id, day)
    second = await refresh_store_intelligence(ctx, tenant_id, day)
    # then
    assert first.startswith("rescored") and second == "fresh"
    assert await Segment.filter(tenant_id=owner.tenant.id, kind="builtin").count() == 7
    row = await StoreIntelligence.get(tenant_id=owner.tenant.id)
    assert row.refreshed_on == date.fromisoformat(day)
