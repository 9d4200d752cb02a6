"""Orders, refunds and payments as the store reports them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from tortoise.expressions import F

from domain.commerce.models import Order, OrderItem, Payment, Refund
from domain.commerce.money import from_minor, to_minor
from domain.errors import DomainError, NotFound, NotYetKnown
from domain.events.domain_events import ReversalReason
from domain.events.schema import OrderData, PaymentData, RefundData

REVERSING_STATUSES: dict[str, ReversalReason] = {
    "cancelled": "cancelled",
    "refunded": "refunded",
    "failed": "failed",
}


@dataclass(frozen=True)
class OrderChange:
    """What an order event did: the order, its status before, and whether the event was older than
    what we already had (then nothing was changed)."""

    order: Order
    previous_status: str | None
    stale: bool

    @property
    def became_completed(self) -> bool:
        return not self.stale and self.order.status == "completed" and self.previous_status != "completed"

    @property
    def reversal_reason(self) -> ReversalReason | None:
        """``cancelled``/``refunded``/``failed`` when the order has just moved into that status."""
        if self.stale or self.previous_status is None or self.previous_status == self.order.status:
            return None
        return REVERSING_STATUSES.get(self.order.status)


async def upsert_order(
    *, tenant_id: UUID, data: OrderData, customer_id: UUID | None, occurred_at: datetime
) -> OrderChange:
    """Create or update the order from the store's full description of it.

    Events can arrive out of order; one older than the last applied leaves the order as it is.
    """
    currency = data.currency
    order = await Order.get_or_none(tenant_id=tenant_id, external_id=data.external_id)
    if order is not None and order.source_updated_at > occurred_at:
        return OrderChange(order=order, previous_status=order.status, stale=True)
    previous_status = order.status if order else None
    if order is None:
        order = Order(tenant_id=tenant_id, external_id=data.external_id)
    order.customer_id = customer_id or order.customer_id  # type: ignore[attr-defined]
    order.number = data.number or data.external_id
    order.status = data.status.value
    order.currency = currency
    order.total = to_minor(data.total, currency, field="total")
    order.subtotal = to_minor(data.subtotal, currency, field="subtotal")
    order.discount_total = to_minor(data.discount_total, currency, field="discount_total")
    order.shipping_total = to_minor(data.shipping_total, currency, field="shipping_total")
    order.tax_total = to_minor(data.tax_total, currency, field="tax_total")
    if data.credit_used is not None:
        # Rounded down like the hold it captures, so a fraction never takes one unit more than was held.
        order.credit_used = to_minor(data.credit_used, currency, field="credit_used", round_down=True)
    order.coupon_codes = list(data.coupon_codes)
    order.billing = data.billing.model_dump(mode="json", exclude_none=True) if data.billing else {}
    order.placed_at = data.created_at or (order.placed_at if previous_status else occurred_at)
    if order.status == "completed" and order.completed_at is None:
        order.completed_at = data.completed_at or occurred_at
    order.source_updated_at = occurred_at
    await order.save()
    await OrderItem.filter(order_id=order.id).delete()
    await OrderItem.bulk_create(
        [
            OrderItem(
                tenant_id=tenant_id,
                order_id=order.id,
                product_id=item.product_id,
                name=item.name,
                sku=item.sku,
                quantity=item.quantity,
                total=to_minor(item.total, currency, field="items.total"),
                category_ids=list(item.category_ids),
            )
            for item in data.items
        ]
    )
    return OrderChange(order=order, previous_status=previous_status, stale=False)


def awaited_order(external_id: str) -> str:
    """The key an event about a not-yet-received order waits under (see ``events.processing``)."""
    return f"order:{external_id}"


async def _order_of(tenant_id: UUID, external_id: str) -> Order:
    """The order an event refers to; ``NotYetKnown`` when its own event has not arrived yet."""
    order = await Order.get_or_none(tenant_id=tenant_id, external_id=external_id)
    if order is None:
        raise NotYetKnown(
            "ORDER_UNKNOWN",
            f"Order {external_id} has not been received yet.",
            awaited=awaited_order(external_id),
            field="data.order_external_id",
        )
    return order


async def record_refund(*, tenant_id: UUID, data: RefundData, occurred_at: datetime) -> tuple[Order, bool]:
    """Record a refund once per store refund id. Returns the order and whether it is now fully refunded.

    Refunds of an order never add up to more than its total: one that would is refused
    (``REFUND_EXCEEDS_ORDER``) and changes nothing.
    """
    order = await _order_of(tenant_id, data.order_external_id)
    if data.currency != order.currency:
        raise DomainError(
            "CURRENCY_MISMATCH", "The refund's currency differs from the order's.", field="data.currency"
        )
    if await Refund.filter(tenant_id=tenant_id, external_id=data.refund_id).exists():
        return order, False
    amount = to_minor(data.amount, order.currency, field="amount")
    if order.refunded_total + amount > order.total:
        raise DomainError(
            "REFUND_EXCEEDS_ORDER",
            f"Refunds of order {order.external_id} would come to "
            f"{from_minor(order.refunded_total + amount, order.currency)} {order.currency}, more than "
            f"its total of {from_minor(order.total, order.currency)}.",
            field="data.amount",
        )
    await Refund.create(
        tenant_id=tenant_id,
        external_id=data.refund_id,
        order_id=order.id,
        amount=amount,
        reason=data.reason or "",
        refunded_at=occurred_at,
    )
    await Order.filter(id=order.id).update(refunded_total=F("refunded_total") + amount)
    await order.refresh_from_db(fields=["refunded_total"])
    return order, order.refunded_total >= order.total > 0


async def record_payment(*, tenant_id: UUID, data: PaymentData, occurred_at: datetime) -> Payment:
    """Record a payment once per gateway transaction id, linked to its order (waiting for the order
    when its event has not arrived yet)."""
    order = await _order_of(tenant_id, data.order_external_id)
    payment, _ = await Payment.get_or_create(
        tenant_id=tenant_id,
        external_id=data.transaction_id,
        defaults={
            "order_id": order.id,
            "amount": to_minor(data.amount, data.currency, field="amount"),
            "currency": data.currency,
            "method": data.method,
            "paid_at": data.paid_at or occurred_at,
        },
    )
    return payment


async def get_order(*, tenant_id: UUID, order_id: UUID) -> Order:
    order = await Order.get_or_none(id=order_id, tenant_id=tenant_id)
    if order is None:
        raise NotFound("Order")
    return order
