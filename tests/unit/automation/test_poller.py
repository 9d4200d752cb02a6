"""The poller: due runs taken in batches FOR UPDATE SKIP LOCKED, one poller per store at a time, a
broken run tried again later without holding up the others, each store's runs its own."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from tortoise import Tortoise
from tortoise.transactions import in_transaction

from domain.automation.models import AutomationRun
from domain.automation.poller import MAX_ATTEMPTS, drain, lock_key, poll
from domain.customers.models import Customer
from tests.support.automation import NOW, make_customer, make_tenant
from tests.support.journeys import enrol_customers, make_journey

TAG = {
    "trigger": {"type": "event", "event": "customer.created"},
    "steps": [{"type": "add_tag", "tag": "seen"}],
}


async def test_a_second_poller_of_the_same_store_returns_at_once(db: None) -> None:
    """While one poller holds the store, another takes nothing and says busy; the run waits for the
    first."""
    # given
    tenant = await make_tenant()
    journey = await make_journey(tenant, TAG)
    [run] = await enrol_customers(journey, [await make_customer(tenant)])
    holding, release = asyncio.Event(), asyncio.Event()

    async def hold_the_store() -> None:
        async with in_transaction() as connection:
            await connection.execute_query(
                "SELECT pg_advisory_xact_lock(hashtext($1))", [lock_key(tenant.id)]
            )
            holding.set()
            await release.wait()

    holder = asyncio.create_task(hold_the_store())
    await holding.wait()
    # when
    blocked = await poll(tenant_id=tenant.id, now=NOW)
    release.set()
    await holder
    free = await poll(tenant_id=tenant.id, now=NOW)
    # then
    assert (blocked.busy, blocked.taken) == (True, 0)
    assert (free.busy, free.taken) == (False, 1)
    assert (await AutomationRun.get(id=run.id)).state == "completed"


async def test_a_run_locked_elsewhere_is_skipped_and_the_others_go_on(db: None) -> None:
    """A run whose row another transaction holds (processing exiting it) is skipped, not waited for."""
    # given
    tenant = await make_tenant()
    journey = await make_journey(tenant, TAG)
    runs = await enrol_customers(journey, [await make_customer(tenant) for _ in range(3)])
    holding, release = asyncio.Event(), asyncio.Event()

    async def hold_one() -> None:
        async with in_transaction() as connection:
            await connection.execute_query(
                "SELECT 1 FROM automation_runs WHERE id = $1 FOR UPDATE", [runs[0].id]
            )
            holding.set()
            await release.wait()

    holder = asyncio.create_task(hold_one())
    await holding.wait()
    # when
    result = await poll(tenant_id=tenant.id, now=NOW)
    release.set()
    await holder
    # then
    assert result.taken == 2
    states = {run.id: run.state for run in await AutomationRun.filter(automation_id=journey.id)}
    assert states == {runs[0].id: "pending", runs[1].id: "completed", runs[2].id: "completed"}


async def test_draining_takes_every_due_run_in_batches(db: None) -> None:
    """250 due runs with batches of 100: three rounds, every run completed once."""
    # given
    tenant = await make_tenant()
    journey = await make_journey(tenant, TAG)
    await Customer.bulk_create([Customer(tenant_id=tenant.id, external_id=f"d{i}") for i in range(250)])
    await enrol_customers(journey, await Customer.filter(tenant_id=tenant.id))
    # when
    result = await drain(tenant_id=tenant.id, now=NOW, limit=100)
    again = await drain(tenant_id=tenant.id, now=NOW, limit=100)
    # then
    assert (result.taken, again.taken) == (250, 0)
    assert await AutomationRun.filter(automation_id=journey.id, state="completed").count() == 250


async def test_a_broken_run_is_tried_again_later_then_failed_without_holding_up_the_rest(db: None) -> None:
    """A run whose stored context is corrupt raises; it is put back with a growing delay and failed
    after the last attempt, while the store's other run completes."""
    # given
    tenant = await make_tenant()
    journey = await make_journey(
        tenant,
        {
            "trigger": {"type": "event", "event": "customer.created"},
            "steps": [
                {"type": "exit_if", "if": {"type": "ordered_since_enrolment"}},
                {"type": "add_tag", "tag": "seen"},
            ],
        },
    )
    broken, fine = await enrol_customers(journey, [await make_customer(tenant), await make_customer(tenant)])
    await Tortoise.get_connection("default").execute_query(
        "UPDATE automation_runs SET context = jsonb_set(context, '{enrolled_at}', '\"not a moment\"')"
        " WHERE id = $1",
        [broken.id],
    )
    # when
    first = await poll(tenant_id=tenant.id, now=NOW)
    after_first = await AutomationRun.get(id=broken.id)
    moment = NOW
    for _ in range(MAX_ATTEMPTS - 1):
        moment += timedelta(hours=1)
        await poll(tenant_id=tenant.id, now=moment)
    # then
    assert first.taken == 2
    assert (await AutomationRun.get(id=fine.id)).state == "completed"
    assert (after_first.state, after_first.due_at, after_first.context["attempts"]) == (
        "pending",
        NOW + timedelta(minutes=2),
        1,
    )
    final = await AutomationRun.get(id=broken.id)
    assert final.state == "failed"
    assert final.last_error is not None and final.last_error.startswith("INTERNAL: ValueError")


async def test_a_stores_poller_takes_only_its_own_runs(db: None) -> None:
    """Polling one store leaves another store's due runs alone."""
    # given
    mine, theirs = await make_tenant(name="Mine"), await make_tenant(name="Theirs")
    my_journey, their_journey = await make_journey(mine, TAG), await make_journey(theirs, TAG)
    await enrol_customers(my_journey, [await make_customer(mine)])
    [their_run] = await enrol_customers(their_journey, [await make_customer(theirs)])
    # when
    result = await poll(tenant_id=mine.id, now=NOW)
    # then
    assert result.taken == 1
    assert (await AutomationRun.get(id=their_run.id)).state == "pending"
