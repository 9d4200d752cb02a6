"""Customers queries: the store's customers and orders, read-only (they come from the store's events)."""

from __future__ import annotations

from uuid import UUID

import strawberry
from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from domain.commerce.models import Order as OrderModel
from domain.customers.models import Customer as CustomerModel
from domain.customers.phones import normalise_digits
from domain.errors import NotFound
from domain.events.schema import OrderStatus
from graph.core.context import Info
from graph.core.filters import one_of
from graph.core.ids import optional_uuid, to_uuid
from graph.core.pagination import Connection, paginate
from graph.core.permissions import Can
from graph.customers.types import Customer, Order


def orders_of(tenant_id: UUID, *, customer_id: UUID | None, status: str | None) -> QuerySet[OrderModel]:
    """The store's orders the ``orders`` field lists: one customer's, or those in one status."""
    queryset = OrderModel.filter(tenant_id=tenant_id)
    if customer_id:
        queryset = queryset.filter(customer_id=customer_id)
    wanted = one_of(status, [choice.value for choice in OrderStatus], field="status", prefix="wc-")
    if wanted:
        queryset = queryset.filter(status=wanted)
    return queryset


@strawberry.type
class CustomersQuery:
    @strawberry.field(
        description="The store's customers, newest first. `search` matches name, phone or e-mail.",
        permission_classes=[Can("customers", "read")],
    )
    async def customers(
        self,
        info: Info,
        tenant_id: strawberry.ID | None = None,
        search: str | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Customer]:
        scope = info.context.require_tenant(optional_uuid(tenant_id))
        queryset = CustomerModel.filter(tenant_id=scope)
        if search and search.strip():
            term = normalise_digits(search.strip())
            queryset = queryset.filter(
                Q(first_name__icontains=term)
                | Q(last_name__icontains=term)
                | Q(email__icontains=term)
                | Q(phone__contains=term.lstrip("0"))
            )
        return await paginate(
            queryset,
            first=first,
            after=after,
            cap=info.context.settings.page_size_cap,
            to_node=Customer.from_model,
        )

    @strawberry.field(description="One customer.", permission_classes=[Can("customers", "read")])
    async def customer(
        self, info: Info, id: strawberry.ID, tenant_id: strawberry.ID | None = None
    ) -> Customer:
        scope = info.context.require_tenant(optional_uuid(tenant_id))
        found = await info.context.loaders.customers.load((scope, to_uuid(id, what="Customer")))
        if found is None:
            raise NotFound("Customer")
        return Customer.from_model(found)

    @strawberry.field(
        description=(
            "The store's orders, newest first; optionally one customer's, or those in one status "
            "(pending, processing, on-hold, completed, cancelled, refunded or failed; any other is INVALID)."
        ),
        permission_classes=[Can("orders", "read")],
    )
    async def orders(
        self,
        info: Info,
        tenant_id: strawberry.ID | None = None,
        customer_id: strawberry.ID | None = None,
        status: str | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Order]:
        scope = info.context.require_tenant(optional_uuid(tenant_id))
        customer = to_uuid(customer_id, what="Customer", field="customerId") if customer_id else None
        return await paginate(
            orders_of(scope, customer_id=customer, status=status),
            first=first,
            after=after,
            cap=info.context.settings.page_size_cap,
            to_node=Order.from_model,
        )

    @strawberry.field(description="One order.", permission_classes=[Can("orders", "read")])
    async def order(self, info: Info, id: strawberry.ID, tenant_id: strawberry.ID | None = None) -> Order:
        scope = info.context.require_tenant(optional_uuid(tenant_id))
        found = await info.context.loaders.orders.load((scope, to_uuid(id, what="Order")))
        if found is None:
            raise NotFound("Order")
        return Order.from_model(found)
