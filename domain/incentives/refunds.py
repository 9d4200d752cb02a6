"""Partial refunds take back cashback in proportion to the money refunded.

**The rule.** When a store refunds part of an order, each cashback grant of the order loses
``floor(grant × refund amount / the grant's base)``, where the base is what the grant was computed on:
the order's total less its shipping and less the refunds recorded before the grant (a refund before the
cashback was granted already made the grant smaller). Rounding down never takes more than the rule
says. Refunds together never take more than was granted: each reversal is at most what is left of the
grant, so the last partial refund (or the full one) takes only the rest.

**Once per refund.** The reversal's key is ``refund:<order external id>:<refund id>``
(``refund#2:…`` for the order's second grant, and so on): processing the refund again, or a refund
event repeated by the store, takes nothing more. A refund of the whole order keeps the full-refund path
(:mod:`domain.incentives.settlement`), which takes back what partial refunds left.

**Credit already spent.** Balances never go below zero. A grant still pending is reduced in full (the
reversal matures with it). From available cashback, a reversal takes at most what the customer has
left; what was already spent stays spent and the line says how much could not be taken back.

:func:`handle` is a domain-event handler: processing calls it inside the batch's transaction, after the
automation engine has locked the refunded orders' runs (so a grant being written commits first).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from tortoise import Tortoise

from domain.commerce.models import Order
from domain.events.domain_events import DomainEvent, OrderRefunded
from domain.incentives import ledger
from domain.incentives.models import CreditEntry


@dataclass(frozen=True)
class Reversed:
    """What one refund took back from one grant, in minor units."""

    grant_id: UUID
    asked: int
    """What the rule asks for (at most what is left of the grant)."""
    taken: int
    """What was taken: less than asked when the customer had already spent it."""


_WITH_CASHBACK = """
SELECT DISTINCT o.id FROM orders AS o
JOIN credit_entries AS g ON g.tenant_id = o.tenant_id AND g.order_id = o.id AND g.kind = $3
WHERE o.tenant_id = $1 AND o.id = ANY($2::uuid[])
"""

_REFUNDED_BEFORE = """
SELECT coalesce(sum(amount), 0) AS refunded FROM refunds
WHERE tenant_id = $1 AND order_id = $2 AND created_at < $3 AND external_id <> $4
"""


async def handle(events: Sequence[DomainEvent], *, now: datetime | None = None) -> list[Any]:
    """Take back cashback for the partial refunds among ``events``, in the caller's transaction.

    Only ``order.refunded`` events that do not refund the whole order count; the orders that have any
    cashback are found with one statement, so a backfill of refunds on orders that earned none costs
    one query. Returns ``[]`` (it enrols no runs).
    """
    refunds = [
        event
        for event in events
        if isinstance(event, OrderRefunded) and not event.fully_refunded and event.amount > 0
    ]
    if not refunds:
        return []
    tenant_id = refunds[0].tenant_id
    rows = await Tortoise.get_connection("default").execute_query_dict(
        _WITH_CASHBACK, [tenant_id, sorted({event.order_id for event in refunds}), ledger.CASHBACK]
    )
    with_cashback = {row["id"] for row in rows}
    for event in refunds:
        if event.order_id in with_cashback:
            await reverse_for_refund(
                tenant_id=tenant_id,
                order_id=event.order_id,
                refund_id=event.refund_id,
                amount=event.amount,
                now=now or event.occurred_at,
            )
    return []


async def reverse_for_refund(
    *, tenant_id: UUID, order_id: UUID, refund_id: str, amount: int, now: datetime
) -> list[Reversed]:
    """Take back the order's cashback in proportion to a partial refund of ``amount`` (see the module).

    Each of the order's cashback grants is reversed under its account's lock, once per refund. Returns
    what this call took, per grant (nothing when the refund was already taken into account).
    """
    order = await Order.get_or_none(tenant_id=tenant_id, id=order_id)
    if order is None or amount <= 0:
        return []
    grants = await CreditEntry.filter(tenant_id=tenant_id, order_id=order_id, kind=ledger.CASHBACK).order_by(
        "created_at", "id"
    )
    done: list[Reversed] = []
    for position, grant_entry in enumerate(grants, start=1):
        customer_id: UUID = grant_entry.customer_id  # type: ignore[attr-defined]
        account, moment = await ledger.lock_account(tenant_id=tenant_id, customer_id=customer_id, now=now)
        prefix = "refund" if position == 1 else f"refund#{position}"
        key = f"{prefix}:{order.external_id}:{refund_id}"[:200]
        if await CreditEntry.filter(tenant_id=tenant_id, idempotency_key=key).exists():
            continue
        base = await _base(tenant_id=tenant_id, order=order, grant_entry=grant_entry, refund_id=refund_id)
        asked = min(grant_entry.amount * amount // base, await ledger.unreversed(grant_entry)) if base else 0
        if asked <= 0:
            continue
        entry = await ledger.take_back(
            account,
            grant_entry,
            amount=asked,
            key=key,
            reason=f"order {order.number or order.external_id} partly refunded ({amount} of {base})",
            order_id=order_id,
            moment=moment,
        )
        done.append(Reversed(grant_id=grant_entry.id, asked=asked, taken=-entry.amount))
    return done


async def _base(*, tenant_id: UUID, order: Order, grant_entry: CreditEntry, refund_id: str) -> int:
    """What the grant was computed on: the order's total less shipping and the refunds recorded before
    the grant (0 when nothing is left, and then the refund takes nothing)."""
    rows = await Tortoise.get_connection("default").execute_query_dict(
        _REFUNDED_BEFORE, [tenant_id, order.id, grant_entry.created_at, refund_id]
    )
    refunded_before = int(rows[0]["refunded"]) if rows else 0
    return max(order.total - order.shipping_total - refunded_before, 0)
