"""Refund events through processing: a partial refund takes back cashback in proportion, a repeated
refund event nothing, and the refund that completes the order's refunds the rest, never twice."""

from __future__ import annotations

from typing import Any

from tortoise.transactions import in_transaction

from domain.commerce.models import Order
from domain.events.processing import process_pending
from domain.events.service import store_events
from domain.incentives import ledger
from domain.incentives.models import CreditAccount, CreditEntry
from tests.support.events import NOW, order
from tests.support.factories import make_owner


def refund(event_id: str, refund_id: str, amount: str) -> dict[str, Any]:
    return {
        "id": event_id,
        "type": "order.refunded",
        "occurred_at": "2026-11-21T10:00:00+03:30",
        "data": {"order_external_id": "1042", "refund_id": refund_id, "amount": amount, "currency": "IRT"},
    }


async def test_refund_events_take_back_cashback_in_proportion_once_each(db: None) -> None:
    """Order of 1,000,000 (50,000 shipping), 95,000 cashback: refunding 95,000 takes 9,500; the same
    refund sent again takes nothing; refunding the remaining 905,000 (now in full) takes the 85,500 left."""
    # given
    owner = await make_owner()
    tenant_id = owner.tenant.id
    await store_events(
        tenant_id=tenant_id,
        source="api",
        raw_events=[order("e-1", status="completed", at="2026-11-20T10:00:00+03:30", external_id="57")],
    )
    await process_pending(tenant_id=tenant_id, now=NOW)
    placed = await Order.get(tenant_id=tenant_id, external_id="1042")
    customer_id = placed.customer_id  # type: ignore[attr-defined]
    async with in_transaction():
        await ledger.grant(
            tenant_id=tenant_id,
            customer_id=customer_id,
            amount=95_000,
            kind=ledger.CASHBACK,
            idempotency_key="run:1:step:s1",
            available_at=NOW,
            order_id=placed.id,
            now=NOW,
        )
    # when
    await store_events(tenant_id=tenant_id, source="api", raw_events=[refund("ev-r1", "r-1", "95000")])
    await process_pending(tenant_id=tenant_id, now=NOW)
    await store_events(tenant_id=tenant_id, source="api", raw_events=[refund("ev-r1-again", "r-1", "95000")])
    await process_pending(tenant_id=tenant_id, now=NOW)
    partial = await CreditEntry.filter(tenant_id=tenant_id, kind=ledger.REVERSAL).values_list(
        "amount", flat=True
    )
    await store_events(tenant_id=tenant_id, source="api", raw_events=[refund("ev-r2", "r-2", "905000")])
    await process_pending(tenant_id=tenant_id, now=NOW)
    # then
    assert partial == [-9_500]
    lines = await CreditEntry.filter(tenant_id=tenant_id, kind=ledger.REVERSAL).order_by("created_at")
    assert [(line.amount, line.idempotency_key.split(":")[0]) for line in lines] == [
        (-9_500, "refund"),
        (-85_500, "reversal"),
    ]
    account = await CreditAccount.get(tenant_id=tenant_id, customer_id=customer_id)
    assert (account.available, account.pending) == (0, 0)
