"""Customers and orders written straight into their tables, for tests of what reads them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

from domain.commerce.models import Order, OrderItem
from domain.customers.models import Customer

START = datetime(2026, 1, 1, tzinfo=UTC)


async def make_customers(tenant_id: UUID, count: int) -> list[Customer]:
    """``count`` customers of the store, one created a minute after the other."""
    customers = [
        Customer(
            tenant_id=tenant_id,
            external_id=f"c-{number}",
            phone=f"+98912{number:07d}",
            first_name=f"Customer {number}",
            created_at=START + timedelta(minutes=number),
        )
        for number in range(count)
    ]
    await Customer.bulk_create(customers)
    return customers


async def make_orders(
    tenant_id: UUID, count: int, *, lines: int = 2, customer: Customer | None = None
) -> list[Order]:
    """``count`` orders of the store, one a minute after the other, each with ``lines`` lines whose
    product ids name the order (``"<order number>-<line>"``)."""
    orders = [
        Order(
            tenant_id=tenant_id,
            customer_id=customer.id if customer else None,
            external_id=str(number),
            number=str(number),
            status="completed",
            currency="IRT",
            total=1000 * (number + 1),
            placed_at=START + timedelta(minutes=number),
            source_updated_at=START + timedelta(minutes=number),
            created_at=START + timedelta(minutes=number),
        )
        for number in range(count)
    ]
    await Order.bulk_create(orders)
    items = [
        OrderItem(tenant_id=tenant_id, order_id=order.id, product_id=f"{order.number}-{line}", total=500)
        for order in orders
        for line in range(lines)
    ]
    await OrderItem.bulk_create(items)
    return orders
