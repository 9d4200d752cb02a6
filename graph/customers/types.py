"""GraphQL types of customers and their orders."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

import strawberry

from domain.commerce import models as commerce
from domain.customers import models
from graph.core.context import Info
from graph.core.ids import to_uuid
from graph.core.scalars import Money


@strawberry.federation.type(keys=["id"], description="A customer of the store.")
class Customer:
    id: strawberry.ID
    external_id: str | None = strawberry.field(
        description="The store's id for the customer; null for guests."
    )
    phone: str | None = strawberry.field(description="E.164, e.g. +989121234567.")
    email: str | None
    first_name: str
    last_name: str
    city: str
    birthday: date | None
    marketing_consent: bool
    orders_count: int
    total_spent: Money = strawberry.field(description="Minor units of the store currency, refunds deducted.")
    first_order_at: datetime | None
    last_order_at: datetime | None
    created_at: datetime

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Customer | None:
        """A gateway's reference to a customer, answered only within stores the principal may read.

        References of one request are loaded together (one query for all of them).
        """
        loaders = info.context.loaders
        customer = await loaders.customer_references.load(to_uuid(id, what="Customer"))
        if customer is None:
            return None
        loaders.customers.prime((customer.tenant_id, customer.id), customer)  # type: ignore[attr-defined]
        return cls.from_model(customer)

    @classmethod
    def from_model(cls, customer: models.Customer) -> Customer:
        return cls(
            id=strawberry.ID(str(customer.id)),
            external_id=customer.external_id,
            phone=customer.phone,
            email=customer.email,
            first_name=customer.first_name,
            last_name=customer.last_name,
            city=customer.city,
            birthday=customer.birthday,
            marketing_consent=customer.marketing_consent,
            orders_count=customer.orders_count,
            total_spent=customer.total_spent,
            first_order_at=customer.first_order_at,
            last_order_at=customer.last_order_at,
            created_at=customer.created_at,
        )


@strawberry.type(description="One line of an order.")
class OrderItem:
    product_id: str
    name: str
    sku: str
    quantity: int
    total: Money
    category_ids: list[str]


@strawberry.type(description="An order as the store last described it. Amounts in minor units of currency.")
class Order:
    id: strawberry.ID
    external_id: str
    number: str
    status: str
    currency: str
    total: Money
    subtotal: Money
    discount_total: Money
    shipping_total: Money
    refunded_total: Money
    credit_used: Money
    coupon_codes: list[str]
    customer_id: strawberry.ID | None
    placed_at: datetime
    completed_at: datetime | None
    created_at: datetime
    key: strawberry.Private[tuple[UUID, UUID]]  # (tenant id, order id), for this order's loaders

    @classmethod
    def from_model(cls, order: commerce.Order) -> Order:
        customer_id = order.customer_id  # type: ignore[attr-defined]
        return cls(
            key=(order.tenant_id, order.id),  # type: ignore[attr-defined]
            id=strawberry.ID(str(order.id)),
            external_id=order.external_id,
            number=order.number,
            status=order.status,
            currency=order.currency,
            total=order.total,
            subtotal=order.subtotal,
            discount_total=order.discount_total,
            shipping_total=order.shipping_total,
            refunded_total=order.refunded_total,
            credit_used=order.credit_used,
            coupon_codes=list(order.coupon_codes),
            customer_id=strawberry.ID(str(customer_id)) if customer_id else None,
            placed_at=order.placed_at,
            completed_at=order.completed_at,
            created_at=order.created_at,
        )

    @strawberry.field(description="The order's lines.")
    async def items(self, info: Info) -> list[OrderItem]:
        rows = await info.context.loaders.order_items.load(self.key)
        return [
            OrderItem(
                product_id=row.product_id,
                name=row.name,
                sku=row.sku,
                quantity=row.quantity,
                total=row.total,
                category_ids=list(row.category_ids),
            )
            for row in rows
        ]
