"""Settling the credit of a batch of orders: what processing calls once an order event is applied.

An order that spends credit captures it (the hold becomes the amount the order reports); an order that
is cancelled, failed or refunded in full gives back the credit it spent and then loses the cashback
it earned. Most orders of a backfill never touched credit, so one statement first finds the orders
that have any ledger line, and only those are settled one by one, each under its account's lock.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from uuid import UUID

from tortoise import Tortoise

from domain.commerce.models import Order
from domain.events.domain_events import ReversalReason
from domain.incentives import checkout, ledger

_WITH_LEDGER_LINES = """
SELECT o.external_id FROM orders AS o
WHERE o.tenant_id = $1 AND o.external_id = ANY($2::text[])
  AND (EXISTS (SELECT 1 FROM credit_entries AS e WHERE e.tenant_id = $1 AND e.order_id = o.id)
       OR EXISTS (SELECT 1 FROM credit_entries AS e WHERE e.tenant_id = $1
                  AND e.idempotency_key IN ('hold:' || o.external_id, 'redeem:' || o.external_id)))
"""

CreditAction = ReversalReason | None
"""What an order event asks of its credit: capture it (None), or give it back for this reason."""


async def settle_orders(
    *, tenant_id: UUID, actions: Mapping[str, Sequence[CreditAction]], now: datetime
) -> None:
    """Carry out, per order (by external id), what its events asked, in their order, once.

    A reversal comes first whenever one was asked (returning the credit spent, then reversing the
    cashback); a capture asked last settles the order at what it reports after that. Call it after
    the order rows are written and the reversed orders' automation runs are locked (so a run being
    advanced finishes its grant before the reversal looks for it).
    """
    if not actions:
        return
    reversed_only = [external_id for external_id, asked in actions.items() if asked[-1] is not None]
    with_lines = set()
    if reversed_only:
        rows = await Tortoise.get_connection("default").execute_query_dict(
            _WITH_LEDGER_LINES, [tenant_id, reversed_only]
        )
        with_lines = {row["external_id"] for row in rows}
    wanted = [
        external_id
        for external_id, asked in actions.items()
        if asked[-1] is None or external_id in with_lines
    ]
    if not wanted:
        return
    orders = {
        order.external_id: order for order in await Order.filter(tenant_id=tenant_id, external_id__in=wanted)
    }
    for external_id in wanted:
        order, asked = orders[external_id], actions[external_id]
        reasons = [reason for reason in asked if reason is not None]
        if reasons:
            # The credit the order spent goes back before its cashback is taken back: a reversal stops
            # at the available balance, so the returned credit covers cashback spent elsewhere.
            reason = f"order {reasons[0]}"
            await checkout.return_order_redemptions(
                tenant_id=tenant_id, order_id=order.id, reason=reason, now=now
            )
            await ledger.reverse_order_grants(tenant_id=tenant_id, order_id=order.id, reason=reason, now=now)
        if asked[-1] is None:
            await checkout.capture_for_order(tenant_id=tenant_id, order=order, now=now)
