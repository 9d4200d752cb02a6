"""Orders, refunds and payments as the store reports them."""

from __future__ import annotations

from uuid import UUID

from domain.commerce.models import Order
from domain.errors import NotFound
from domain.events.domain_events import ReversalReason

REVERSING_STATUSES: dict[str, ReversalReason] = {
    "cancelled": "cancelled",
    "refunded": "refunded",
    "failed": "failed",
}


def awaited_order(external_id: str) -> str:
    """The key an event about a not-yet-received order waits under (see ``events.processing``)."""
    return f"order:{external_id}"


async def get_order(*, tenant_id: UUID, order_id: UUID) -> Order:
    order = await Order.get_or_none(id=order_id, tenant_id=tenant_id)
    if order is None:
        raise NotFound("Order")
    return order
