"""Enrolment: entry rules, the open-run rule, the cap (also under two transactions at once) and the
audience and segment conditions, for many candidates in one call."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from tortoise.transactions import in_transaction

from domain.automation import service as journeys
from domain.automation.enrolment import Candidate, enrol
from domain.automation.models import Automation, AutomationRun
from domain.customers.models import Customer
from domain.segments import service as segments
from tests.support.automation import NOW, make_customer, make_tenant
from tests.support.journeys import enrol_customers, make_journey

DAY = timedelta(days=1)


def tagging(
    entry: dict[str, Any], *, trigger: dict[str, Any] | None = None, **changes: Any
) -> dict[str, Any]:
    """A journey with a single tag step (it completes at once) and the given entry rule."""
    return {
        "trigger": trigger or {"type": "birthday", "days_before": 0},
        "entry": entry,
        "steps": [{"type": "add_tag", "tag": "entered"}],
        **changes,
    }


async def finish_all(journey: Automation) -> None:
    await AutomationRun.filter(automation_id=journey.id).update(state="completed", finished_at=NOW)


async def test_once_ever_enrols_a_customer_a_single_time_whatever_the_occasion(db: None) -> None:
    """A second occasion, after the first run is over, enrols nobody."""
    # given
    tenant = await make_tenant()
    journey = await make_journey(tenant, tagging({"mode": "once_ever"}))
    customer = await make_customer(tenant)
    first = await enrol_customers(journey, [customer], key="birthday:1405")
    await finish_all(journey)
    # when
    second = await enrol_customers(journey, [customer], key="birthday:1406", now=NOW + 365 * DAY)
    # then
    assert (len(first), second) == (1, [])


async def test_once_per_days_admits_again_only_after_the_window(db: None) -> None:
    """With 30 days, an occasion ten days later enrols nobody; one 31 days later enrols again."""
    # given
    tenant = await make_tenant()
    journey = await make_journey(tenant, tagging({"mode": "once_per_days", "days": 30}))
    customer = await make_customer(tenant)
    await enrol_customers(journey, [customer], key="a")
    await finish_all(journey)
    # when
    soon = await enrol_customers(journey, [customer], key="b", now=NOW + 10 * DAY)
    later = await enrol_customers(journey, [customer], key="c", now=NOW + 31 * DAY)
    # then
    assert (soon, len(later)) == ([], 1)


async def test_once_per_order_admits_each_occasion_once(db: None) -> None:
    """The same occasion again enrols nobody; another occasion does (once the first run is over)."""
    # given
    tenant = await make_tenant()
    journey = await make_journey(tenant, tagging({"mode": "once_per_order"}))
    customer = await make_customer(tenant)
    await enrol_customers(journey, [customer], key="birthday:1405")
    await finish_all(journey)
    # when
    again = await enrol_customers(journey, [customer], key="birthday:1405")
    next_year = await enrol_customers(journey, [customer], key="birthday:1406")
    # then
    assert (again, len(next_year)) == ([], 1)


async def test_a_customer_in_the_journey_is_not_enrolled_again_whatever_the_rule(db: None) -> None:
    """While a run is open, a new occasion enrols nobody — also when two transactions try at once."""
    # given
    tenant = await make_tenant()
    journey = await make_journey(tenant, tagging({"mode": "once_per_order"}))
    customer = await make_customer(tenant)
    await enrol_customers(journey, [customer], key="birthday:1405")
    # when
    while_open = await enrol_customers(journey, [customer], key="birthday:1406")
    await finish_all(journey)
    racing = await asyncio.gather(
        enrol_customers(journey, [customer], key="lapse:1"),
        enrol_customers(journey, [customer], key="lapse:2"),
    )
    # then
    assert while_open == []
    assert sorted(len(runs) for runs in racing) == [0, 1]
    assert await AutomationRun.filter(automation_id=journey.id, state="pending").count() == 1


async def test_the_cap_is_the_most_enrolments_ever_even_under_two_transactions_at_once(db: None) -> None:
    """Cap 3: five candidates enrol three, in the order given; two racing calls then enrol nobody
    more, and a racing pair on a fresh journey with cap 1 enrols exactly one."""
    # given
    tenant = await make_tenant()
    capped = await make_journey(tenant, tagging({"mode": "once_per_order", "cap": 3}))
    single = await make_journey(tenant, tagging({"mode": "once_per_order", "cap": 1}))
    customers = [await make_customer(tenant) for _ in range(5)]
    # when
    first = await enrol_customers(capped, customers)
    more = await asyncio.gather(
        enrol_customers(capped, customers[3:4]), enrol_customers(capped, customers[4:])
    )
    race = await asyncio.gather(
        enrol_customers(single, customers[:1]), enrol_customers(single, customers[1:2])
    )
    # then
    assert [run.customer_id for run in first] == [c.id for c in customers[:3]]
    assert more == [[], []]
    assert sum(len(runs) for runs in race) == 1
    assert [(await Automation.get(id=j.id)).enrolled_count for j in (capped, single)] == [3, 1]


async def test_the_first_candidate_of_a_customer_wins_within_one_call(db: None) -> None:
    """Two occasions of one customer in one call make one run, the first."""
    # given
    tenant = await make_tenant()
    journey = await make_journey(tenant, tagging({"mode": "once_per_order"}))
    customer = await make_customer(tenant)
    candidates = [Candidate(customer.id, "first"), Candidate(customer.id, "second")]
    # when
    async with in_transaction():
        runs = await enrol(tenant_id=tenant.id, automation=journey, candidates=candidates, now=NOW)
    # then
    assert [(await AutomationRun.get(id=run.id)).enrolment_key for run in runs] == ["first"]


async def test_audience_and_segment_conditions_are_decided_for_the_candidates(db: None) -> None:
    """Only candidates matching the audience tree (two orders or more) and in the VIP list enter."""
    # given
    tenant = await make_tenant()
    loyal_vip, loyal, vip = [await make_customer(tenant) for _ in range(3)]
    await Customer.filter(id__in=[loyal_vip.id, loyal.id]).update(orders_count=2)
    async with in_transaction():
        vips = await segments.create(tenant_id=tenant.id, name="VIP", definition=None, now=NOW)
        await segments.add_members(
            tenant_id=tenant.id, segment_id=vips.id, customer_ids=[loyal_vip.id, vip.id], now=NOW
        )
    conditions = [
        {"type": "audience", "condition": {"field": "orders_count", "op": "gte", "value": 2}},
        {"type": "in_segment", "segment_id": str(vips.id)},
    ]
    journey = await make_journey(tenant, tagging({"mode": "once_ever"}, conditions=conditions))
    # when
    runs = await enrol_customers(journey, [loyal_vip, loyal, vip])
    # then
    assert [run.customer_id for run in runs] == [loyal_vip.id]


async def test_a_paused_journey_enrols_nobody_and_an_active_one_takes_thousands_in_one_call(db: None) -> None:
    """Pausing stops enrolment; 3,000 candidates enrol in one call (one statement), each once."""
    # given
    tenant = await make_tenant()
    journey = await make_journey(tenant, tagging({"mode": "once_per_order"}))
    await Customer.bulk_create([Customer(tenant_id=tenant.id, external_id=f"bulk{i}") for i in range(3000)])
    ids = await Customer.filter(tenant_id=tenant.id).order_by("external_id")
    await journeys.pause(tenant_id=tenant.id, automation_id=journey.id, now=NOW)
    paused = await enrol_customers(journey, ids)
    await journeys.activate(tenant_id=tenant.id, automation_id=journey.id, now=NOW)
    # when
    runs = await enrol_customers(journey, ids)
    again = await enrol_customers(journey, ids)
    # then
    assert (paused, len(runs), again) == ([], 3000, [])
    assert len({run.customer_id for run in runs}) == 3000
