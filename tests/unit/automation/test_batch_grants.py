"""The poll batch's set-based grants: the same ledger, balances, step events and runs as advancing the
runs one by one, never a grant twice, consistent with a refund racing it, and goals still first."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

from tortoise import Tortoise
from tortoise.transactions import in_transaction

from domain.automation import engine, poller
from domain.automation.models import AutomationRun, AutomationStepEvent
from domain.commerce.models import Order
from domain.customers.models import Customer
from domain.events.domain_events import OrderCompleted
from domain.events.processing import process_pending
from domain.events.service import store_events
from domain.incentives import bulk_grants, ledger
from domain.incentives.models import CreditAccount, CreditEntry
from domain.messaging.models import OutboundMessage
from domain.tenancy.models import Tenant
from tests.support.automation import NOW, make_automation, make_customer, make_order, make_tenant
from tests.support.worker_process import eventually

GRANTS_THEN_SMS: dict[str, Any] = {
    "trigger": "order.completed",
    "steps": [
        {"id": "cashback", "type": "grant_cashback", "percent": "5", "expires_after_days": 90},
        {"id": "gift", "type": "grant_credit", "amount": 10_000, "expires_after_days": 30},
        {"id": "tell", "type": "send_sms", "template": "{credit} اعتبار گرفتید. موجودی: {balance}"},
    ],
}
"""Cashback, a credit, then an SMS that says both and the balance."""

CASHBACK_UNLESS_ORDERED_AGAIN: dict[str, Any] = {
    "trigger": "order.completed",
    "steps": [
        {"id": "cashback", "type": "grant_cashback", "percent": "5"},
        {"id": "bought", "type": "exit_if", "if": {"type": "ordered_since_enrolment"}},
    ],
}

_WAITING = """
SELECT count(*) AS waiting FROM pg_stat_activity
WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()
"""


async def enrol(tenant: Tenant, orders: list[Order]) -> list[AutomationRun]:
    """What processing does with the orders' order.completed events: the store's journeys enrol; the
    runs, in the orders' order."""
    events = [
        OrderCompleted(tenant_id=tenant.id, order_id=o.id, customer_id=o.customer_id, occurred_at=NOW)  # type: ignore[attr-defined]
        for o in orders
    ]
    async with in_transaction():
        enrolled = await engine.handle(events, now=NOW)
    runs = {run.order_id: run for run in await AutomationRun.filter(id__in=[run.id for run in enrolled])}  # type: ignore[attr-defined]
    return [runs[order.id] for order in orders if order.id in runs]


async def a_store(name: str, raw: dict[str, Any]) -> tuple[Tenant, list[Customer], list[Order]]:
    """A store with the journey and five orders: two large, one whose cashback is zero (shipping only),
    one of a customer without a phone, one of a customer with credit already."""
    tenant = await make_tenant(name=name)
    await make_automation(tenant, raw)
    customers = [await make_customer(tenant) for _ in range(3)]
    customers += [await make_customer(tenant, phone=None), await make_customer(tenant)]
    await ledger.grant(
        tenant_id=tenant.id,
        customer_id=customers[4].id,
        amount=7_000,
        kind="credit",
        idempotency_key="gift",
        available_at=NOW - timedelta(days=1),
        now=NOW,
    )
    totals = [(1_000_000, 50_000), (2_345_670, 0), (50_000, 50_000), (800_000, 10_000), (400_000, 0)]
    orders = [
        await make_order(tenant, customer, total=total, shipping_total=shipping)
        for customer, (total, shipping) in zip(customers, totals, strict=True)
    ]
    return tenant, customers, orders


async def snapshot(tenant: Tenant, customers: list[Customer], orders: list[Order]) -> Any:
    """The store's ledger, balances, step events and runs, with its own ids named by position."""
    names: dict[str, str] = {}
    runs = await AutomationRun.filter(tenant_id=tenant.id)
    for i, (customer, order) in enumerate(zip(customers, orders, strict=True)):
        names |= {str(customer.id): f"customer{i}", str(order.id): f"order{i}"}
        names |= {str(order.number): f"number{i}", order.external_id: f"external{i}"}
    for run in runs:
        names[str(run.id)] = "run of " + names[str(run.customer_id)]  # type: ignore[attr-defined]
    for message in await OutboundMessage.filter(tenant_id=tenant.id):
        names[str(message.id)] = "message of " + names[str(message.customer_id)]  # type: ignore[attr-defined]
    state: dict[str, Any] = {
        "entries": await CreditEntry.filter(tenant_id=tenant.id)
        .order_by("customer_id", "kind", "amount")
        .values(
            "customer_id",
            "kind",
            "amount",
            "available_at",
            "expires_at",
            "order_id",
            "idempotency_key",
            "note",
        ),
        "accounts": await CreditAccount.filter(tenant_id=tenant.id).values(
            "customer_id", "available", "pending"
        ),
        "events": await AutomationStepEvent.filter(tenant_id=tenant.id)
        .order_by("run_id", "id")
        .values(
            "run_id",
            "step_id",
            "step_type",
            "outcome",
            "occurred_at",
            "message_id",
            "credit_amount",
            "coupon_id",
            "note",
        ),
        "runs": await AutomationRun.filter(tenant_id=tenant.id).values(
            "id",
            "state",
            "current_step",
            "current_step_id",
            "exit_reason",
            "due_at",
            "finished_at",
            "context",
            "last_error",
        ),
        "messages": await OutboundMessage.filter(tenant_id=tenant.id).values("customer_id", "body", "status"),
    }
    text = json.dumps(state, default=str, ensure_ascii=False)
    for raw, name in sorted(names.items(), key=lambda item: -len(item[0])):
        text = text.replace(raw, name)
    named = json.loads(text)
    return {key: sorted(rows, key=lambda row: json.dumps(row, sort_keys=True)) for key, rows in named.items()}


async def test_the_batch_grants_what_advancing_the_runs_one_by_one_grants(db: None) -> None:
    """Two stores with the same journey and orders: one's runs advanced one by one, the other's by the
    poller (its grants set-based). Ledger lines, cached balances, step events, runs and messages are
    the same, and the runs whose grant came to zero were skipped the same way."""
    # given
    one_by_one = await a_store("One by one", GRANTS_THEN_SMS)
    batched = await a_store("Batched", GRANTS_THEN_SMS)
    reference_runs = await enrol(one_by_one[0], one_by_one[2])
    await enrol(batched[0], batched[2])
    # when
    for run in reference_runs:
        await engine.advance(run_id=run.id, now=NOW)
    result = await poller.poll(tenant_id=batched[0].id, now=NOW)
    # then
    assert result.taken == 5
    expected, actual = await snapshot(*one_by_one), await snapshot(*batched)
    assert actual == expected
    assert len(actual["entries"]) == 1 + 4 + 5  # the gift, four cashbacks (one came to zero), five credits
    assert {run["state"] for run in actual["runs"]} == {"completed"}


async def test_the_batch_grants_set_based_before_any_run_goes_on(db: None) -> None:
    """grant_together alone writes the due grants of the batch's runs, their step events and their new
    positions, and leaves the runs whose grant is zero where they were (the one-by-one path skips them)."""
    # given
    tenant, customers, orders = await a_store("Batched", GRANTS_THEN_SMS)
    runs = await enrol(tenant, orders)
    definitions = engine.Definitions()
    await definitions.prefetch(tenant.id, runs)
    # when
    async with in_transaction():
        await poller.grant_together(runs, now=NOW, definitions=definitions)
    # then
    stored = {run.customer_id: run for run in await AutomationRun.filter(tenant_id=tenant.id)}  # type: ignore[attr-defined]
    positions = [(stored[c.id].current_step_id, stored[c.id].context.get("cashback")) for c in customers]
    assert positions == [
        ("gift", 47_500),
        ("gift", 117_283),
        ("cashback", 0),
        ("gift", 39_500),
        ("gift", 20_000),
    ]
    assert await CreditEntry.filter(tenant_id=tenant.id, kind="cashback").count() == 4
    account = await CreditAccount.get(tenant_id=tenant.id, customer_id=customers[4].id)
    assert (account.available, account.pending) == (7_000 + 20_000, 0)
    events = await AutomationStepEvent.filter(tenant_id=tenant.id).values_list(
        "step_id", "outcome", "credit_amount"
    )
    assert sorted(events) == sorted(
        [
            ("cashback", "done", 47_500),
            ("cashback", "done", 117_283),
            ("cashback", "done", 39_500),
            ("cashback", "done", 20_000),
        ]
    )
    assert await OutboundMessage.filter(tenant_id=tenant.id).count() == 0


async def test_a_repeated_poll_or_a_retried_grant_grants_nothing_twice(db: None) -> None:
    """Polling again takes nothing; a run put back before its grant (as if its move were lost) is moved
    on with the entry it already has; granting the same keys again writes nothing and answers the first
    amounts."""
    # given
    tenant, customers, orders = await a_store("Batched", GRANTS_THEN_SMS)
    runs = await enrol(tenant, orders)
    await poller.poll(tenant_id=tenant.id, now=NOW)
    before = await snapshot(tenant, customers, orders)
    # when
    again = await poller.poll(tenant_id=tenant.id, now=NOW)
    await Tortoise.get_connection("default").execute_query(
        "UPDATE automation_runs SET state = 'pending', current_step = 0, current_step_id = 'cashback',"
        " finished_at = NULL WHERE id = $1",
        [runs[0].id],
    )
    rewound = await poller.poll(tenant_id=tenant.id, now=NOW)
    grant = bulk_grants.Grant(
        customer_id=customers[0].id,
        amount=1,
        kind="cashback",
        idempotency_key=f"run:{runs[0].id}:step:cashback",
        available_at=NOW,
    )
    async with in_transaction():
        amounts = await bulk_grants.grant_all(tenant_id=tenant.id, grants=[grant], now=NOW)
    # then
    assert (again.taken, rewound.taken) == (0, 1)
    after = await snapshot(tenant, customers, orders)
    assert after["entries"] == before["entries"]
    assert after["accounts"] == before["accounts"]
    assert amounts == {grant.idempotency_key: 47_500}
    repeated = await AutomationStepEvent.filter(run_id=runs[0].id, step_id="cashback").values_list(
        "credit_amount", flat=True
    )
    assert repeated == [47_500, 47_500]


async def test_a_refund_racing_the_batch_waits_for_its_grants_then_reverses_them(db: None) -> None:
    """The batch is mid-grant (waiting on one customer's account) when that order is refunded in full:
    processing waits for the batch to commit, then reverses the cashback; nothing is granted twice and
    the customer's balance is the credit alone."""
    # given
    tenant, customers, orders = await a_store("Batched", GRANTS_THEN_SMS)
    await enrol(tenant, orders)
    await CreditAccount.get_or_create(tenant_id=tenant.id, customer_id=customers[0].id)
    refund = {
        "id": "refund-in-full",
        "type": "order.refunded",
        "occurred_at": NOW.isoformat(),
        "data": {
            "order_external_id": orders[0].external_id,
            "refund_id": "r-1",
            "amount": str(orders[0].total),
            "currency": tenant.currency,
        },
    }
    await store_events(tenant_id=tenant.id, source="api", raw_events=[refund])
    held, release = asyncio.Event(), asyncio.Event()

    async def hold_the_account() -> None:
        async with in_transaction() as connection:
            await connection.execute_query(
                "SELECT 1 FROM credit_accounts WHERE tenant_id = $1 AND customer_id = $2 FOR UPDATE",
                [tenant.id, customers[0].id],
            )
            held.set()
            await release.wait()

    holder = asyncio.create_task(hold_the_account())
    await held.wait()
    # when
    polling = asyncio.create_task(poller.poll(tenant_id=tenant.id, now=NOW))
    await eventually(lambda: _waiting_at_least(1), what="the batch waiting on the account")
    processing = asyncio.create_task(process_pending(tenant_id=tenant.id, now=NOW))
    await eventually(lambda: _waiting_at_least(2), what="processing waiting on the batch")
    release.set()
    await holder
    polled = await polling
    report = await processing
    # then
    assert polled.taken == 5
    assert (report.processed, report.failed) == (1, 0)
    assert await CreditEntry.filter(tenant_id=tenant.id, kind="cashback").count() == 4
    assert await CreditEntry.filter(tenant_id=tenant.id, kind="reversal").count() == 1
    balances = await ledger.balances(tenant_id=tenant.id, customer_id=customers[0].id, now=NOW)
    assert balances == ledger.Balances(10_000, 0)
    account = await CreditAccount.get(tenant_id=tenant.id, customer_id=customers[0].id)
    assert (account.available, account.pending) == (10_000, 0)
    assert {run.state for run in await AutomationRun.filter(tenant_id=tenant.id)} == {"completed"}


async def test_a_goal_still_exits_the_run_before_the_batch_grants(db: None) -> None:
    """A customer who ordered again after enrolling reaches the journey's goal: their run exits before
    the cashback step and gets nothing, while the batch grants the other customer's cashback."""
    # given
    tenant = await make_tenant()
    await make_automation(tenant, CASHBACK_UNLESS_ORDERED_AGAIN)
    again, once = await make_customer(tenant), await make_customer(tenant)
    runs = await enrol(tenant, [await make_order(tenant, again), await make_order(tenant, once)])
    later = await make_order(tenant, again)
    await Order.filter(id=later.id).update(placed_at=NOW + timedelta(hours=1))
    # when
    await poller.poll(tenant_id=tenant.id, now=NOW + timedelta(hours=2))
    # then
    exited, completed = [await AutomationRun.get(id=run.id) for run in runs]
    assert (exited.state, exited.exit_reason) == ("exited", "goal")
    assert completed.state == "completed"
    grants = await CreditEntry.filter(tenant_id=tenant.id, kind="cashback").values_list(
        "customer_id", flat=True
    )
    assert grants == [once.id]
    events = await AutomationStepEvent.filter(run_id=exited.id).values_list("step_id", "outcome")
    assert events == [("cashback", "exited")]


async def _waiting_at_least(count: int) -> bool:
    [row] = await Tortoise.get_connection("default").execute_query_dict(_WAITING)
    return int(row["waiting"]) >= count


async def test_when_the_set_based_grant_fails_the_runs_are_granted_one_by_one(db: None) -> None:
    """One customer's ledger would go below zero (a pending line of -5,000 and nothing pending to
    cover it): the set-based grant is refused as a whole, its savepoint rolls back, and the one-by-one
    path grants the other runs and fails only that customer's run, with the reason."""
    # given
    tenant, customers, orders = await a_store("Batched", GRANTS_THEN_SMS)
    runs = await enrol(tenant, orders)
    await Tortoise.get_connection("default").execute_query(
        "INSERT INTO credit_entries (id, tenant_id, customer_id, kind, amount, available_at,"
        " idempotency_key, note, created_at) VALUES (gen_random_uuid(), $1, $2, 'reversal', -5000, $3,"
        " 'broken', '', now())",
        [tenant.id, customers[1].id, NOW + timedelta(days=200)],
    )
    # when
    result = await poller.poll(tenant_id=tenant.id, now=NOW)
    # then
    assert result.taken == 5
    states = [(await AutomationRun.get(id=run.id)).state for run in runs]
    assert states == ["completed", "failed", "completed", "completed", "completed"]
    failed = await AutomationRun.get(id=runs[1].id)
    assert failed.last_error == "Step cashback: A credit balance may not go below zero. (NEGATIVE_BALANCE)"
    assert await CreditEntry.filter(tenant_id=tenant.id, kind="cashback").count() == 3
