"""Versions: editing an active journey writes a new version, runs in flight finish on theirs, and
migrating moves open runs to the newest version by step id (or exits them, reason migrated)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from tortoise.transactions import in_transaction

from domain.automation import service as journeys
from domain.automation.definition import parse
from domain.automation.models import AutomationRun, AutomationVersion
from domain.customers.models import Customer
from tests.support.automation import NOW, make_customer, make_tenant
from tests.support.journeys import advance_all, enrol_customers, make_journey, outcomes

DAY = timedelta(days=1)


def steps(*parts: tuple[str, dict[str, Any]]) -> dict[str, Any]:
    return {
        "trigger": {"type": "event", "event": "customer.created"},
        "steps": [{"id": step_id, **step} for step_id, step in parts],
    }


def tag(name: str) -> dict[str, Any]:
    return {"type": "add_tag", "tag": name}


WAIT = {"type": "wait", "duration": {"days": 1}}


async def edit(journey: Any, raw: dict[str, Any]) -> Any:
    async with in_transaction():
        return await journeys.update(
            tenant_id=journey.tenant_id, automation_id=journey.id, definition=parse(raw)
        )


async def test_an_edit_is_a_new_version_and_runs_in_flight_finish_on_theirs(db: None) -> None:
    """Version 2 is written beside version 1; a run enrolled under 1 goes on with 1's steps, a new
    one follows 2; saving the same definition again writes no version."""
    # given
    tenant = await make_tenant()
    journey = await make_journey(tenant, steps(("w", WAIT), ("t", tag("v1"))))
    early = await make_customer(tenant)
    await enrol_customers(journey, [early])
    await advance_all(tenant, now=NOW)
    # when
    edited = await edit(journey, steps(("w", WAIT), ("t", tag("v2"))))
    same = await edit(journey, steps(("w", WAIT), ("t", tag("v2"))))
    late = await make_customer(tenant)
    await enrol_customers(journey, [late], now=NOW + DAY)
    await advance_all(tenant, now=NOW + 3 * DAY)
    await advance_all(tenant, now=NOW + 5 * DAY)
    # then
    assert (edited.version, same.version) == (2, 2)
    versions = await AutomationVersion.filter(automation_id=journey.id).order_by("version")
    assert [(v.version, v.definition["steps"][1]["tag"]) for v in versions] == [(1, "v1"), (2, "v2")]
    assert (await Customer.get(id=early.id)).tags == ["v1"]
    assert (await Customer.get(id=late.id)).tags == ["v2"]


async def test_migrating_maps_open_runs_by_step_id(db: None) -> None:
    """Runs waiting before a step the new version keeps go on from it (due time unchanged); before a
    removed step, from the first later step that remains; with none left, they exit (migrated).
    Finished runs are untouched; a second migration finds nothing to do."""
    # given
    tenant = await make_tenant()
    journey = await make_journey(
        tenant,
        steps(("w1", WAIT), ("a", tag("a")), ("w2", WAIT), ("b", tag("b")), ("w3", WAIT), ("c", tag("c"))),
    )
    at_a, at_b, at_c, done = [await make_customer(tenant) for _ in range(4)]
    await enrol_customers(journey, [at_a, at_b, at_c, done])
    await advance_all(tenant, now=NOW)  # all wait before a
    await AutomationRun.filter(customer_id=at_b.id).update(current_step_id="b", current_step=3)
    await AutomationRun.filter(customer_id=at_c.id).update(current_step_id="c", current_step=5)
    await AutomationRun.filter(customer_id=done.id).update(state="completed", current_step_id=None)
    due = (await AutomationRun.get(customer_id=at_a.id)).due_at
    await edit(journey, steps(("a", tag("a2")), ("w2", WAIT), ("b2", tag("b2"))))
    # when
    migration = await journeys.migrate_runs(tenant_id=tenant.id, automation_id=journey.id, now=NOW)
    again = await journeys.migrate_runs(tenant_id=tenant.id, automation_id=journey.id, now=NOW)
    # then
    assert (migration.version, migration.moved, migration.exited) == (2, 1, 2)
    assert (again.moved, again.exited) == (0, 0)
    moved = await AutomationRun.get(customer_id=at_a.id)
    assert (moved.automation_version, moved.current_step_id, moved.state, moved.due_at) == (
        2,
        "a",
        "waiting",
        due,
    )
    for customer in (at_b, at_c):
        run = await AutomationRun.get(customer_id=customer.id)
        assert (run.state, run.exit_reason) == ("exited", "migrated")
        assert (await outcomes(run.id))[-1][1] == "exited"
    assert (await AutomationRun.get(customer_id=done.id)).automation_version == 1
    await advance_all(tenant, now=NOW + 2 * DAY)
    await advance_all(tenant, now=NOW + 4 * DAY)
    assert (await Customer.get(id=at_a.id)).tags == ["a2", "b2"]


async def test_a_run_before_a_removed_step_goes_on_from_the_next_remaining_one(db: None) -> None:
    """Version 2 drops step b: a run about to do b goes on from c."""
    # given
    tenant = await make_tenant()
    journey = await make_journey(tenant, steps(("w", WAIT), ("b", tag("b")), ("c", tag("c"))))
    customer = await make_customer(tenant)
    await enrol_customers(journey, [customer])
    await advance_all(tenant, now=NOW)
    await AutomationRun.filter(customer_id=customer.id).update(current_step_id="b", current_step=1)
    await edit(journey, steps(("w", WAIT), ("c", tag("c"))))
    # when
    migration = await journeys.migrate_runs(tenant_id=tenant.id, automation_id=journey.id, now=NOW)
    await advance_all(tenant, now=NOW + 2 * DAY)
    # then
    assert (migration.moved, migration.exited) == (1, 0)
    assert (await Customer.get(id=customer.id)).tags == ["c"]


async def test_two_migrations_at_once_move_each_run_once(db: None) -> None:
    """Concurrent migrations serialise on the journey's row: the runs move once, the second finds none."""
    # given
    tenant = await make_tenant()
    journey = await make_journey(tenant, steps(("w", WAIT), ("t", tag("x"))))
    await enrol_customers(journey, [await make_customer(tenant) for _ in range(5)])
    await advance_all(tenant, now=NOW)
    await edit(journey, steps(("w", WAIT), ("t", tag("y"))))

    async def migrate() -> Any:
        async with in_transaction():
            return await journeys.migrate_runs(tenant_id=tenant.id, automation_id=journey.id, now=NOW)

    # when
    results = await asyncio.gather(migrate(), migrate())
    # then
    assert sorted(result.moved for result in results) == [0, 5]
