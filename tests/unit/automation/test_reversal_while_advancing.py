"""An order refunded while its cashback run is being carried out: processing waits for the run's step
to commit, then takes the cashback back — no deadlock, nothing lost, nothing granted twice."""

from __future__ import annotations

import asyncio

from tortoise import Tortoise
from tortoise.transactions import in_transaction

from domain.automation import engine
from domain.automation.models import AutomationRun
from domain.events.domain_events import OrderCompleted
from domain.events.processing import process_pending
from domain.events.service import store_events
from domain.incentives import ledger
from domain.incentives.models import CreditAccount, CreditEntry
from domain.messaging.models import OutboundMessage
from tests.support.automation import (
    CASHBACK_AND_SMS,
    NOW,
    make_automation,
    make_customer,
    make_order,
    make_tenant,
)
from tests.support.worker_process import eventually

CASHBACK_AND_TAG = {
    **CASHBACK_AND_SMS,
    "steps": [
        CASHBACK_AND_SMS["steps"][0],
        {"type": "add_tag", "tag": "cashback"},
        {**CASHBACK_AND_SMS["steps"][1], "purpose": "marketing"},
    ],
}
"""Cashback, a tag (which writes the customer's row), then a marketing SMS."""

_WAITING = """
SELECT count(*) AS waiting FROM pg_stat_activity
WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()
"""


async def waiting_on_locks() -> int:
    [row] = await Tortoise.get_connection("default").execute_query_dict(_WAITING)
    return int(row["waiting"])


async def test_a_refund_during_the_cashback_step_waits_for_it_then_reverses_it(db: None) -> None:
    """The run is mid-grant (held on the customer's account) when the store refunds the order in full:
    processing takes the order's runs before it writes the customer, so it waits for the run to
    finish (cashback, the tag on the customer's row, the SMS) instead of deadlocking with it, then
    reverses the cashback; every event is processed and the balance is back to zero."""
    # given
    tenant = await make_tenant()
    await make_automation(tenant, CASHBACK_AND_TAG)
    customer = await make_customer(tenant)
    order = await make_order(tenant, customer)
    await CreditAccount.create(tenant_id=tenant.id, customer_id=customer.id)
    async with in_transaction():
        [run] = await engine.handle(
            [
                OrderCompleted(
                    tenant_id=tenant.id, order_id=order.id, customer_id=customer.id, occurred_at=NOW
                )
            ],
            now=NOW,
        )
    await store_events(
        tenant_id=tenant.id,
        source="api",
        raw_events=[
            {
                "id": "refund-in-full",
                "type": "order.refunded",
                "occurred_at": NOW.isoformat(),
                "data": {
                    "order_external_id": order.external_id,
                    "refund_id": "r-1",
                    "amount": str(order.total),
                    "currency": tenant.currency,
                },
            }
        ],
    )
    held, release = asyncio.Event(), asyncio.Event()

    async def hold_the_account() -> None:
        async with in_transaction() as connection:
            await connection.execute_query(
                "SELECT 1 FROM credit_accounts WHERE tenant_id = $1 AND customer_id = $2 FOR UPDATE",
                [tenant.id, customer.id],
            )
            held.set()
            await release.wait()

    holder = asyncio.create_task(hold_the_account())
    await held.wait()
    # when
    advancing = asyncio.create_task(engine.advance(run_id=run.id, now=NOW))
    await eventually(lambda: _at_least(1), what="the run waiting on the account")
    processing = asyncio.create_task(process_pending(tenant_id=tenant.id, now=NOW))
    await eventually(lambda: _at_least(2), what="processing waiting on the run")
    release.set()
    await holder
    advanced = await advancing
    report = await processing
    # then
    assert advanced.run.state == "completed"
    assert (report.processed, report.failed) == (1, 0)
    assert await CreditEntry.filter(tenant_id=tenant.id, kind="cashback").count() == 1
    assert await CreditEntry.filter(tenant_id=tenant.id, kind="reversal").count() == 1
    assert await ledger.balances(tenant_id=tenant.id, customer_id=customer.id, now=NOW) == ledger.Balances(
        0, 0
    )
    assert await OutboundMessage.filter(tenant_id=tenant.id).count() == 1
    assert (await AutomationRun.get(id=run.id)).state == "completed"


async def _at_least(count: int) -> bool:
    return await waiting_on_locks() >= count
