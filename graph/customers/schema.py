"""Customers and orders, read-only: they come from the store's events."""

from __future__ import annotations

import strawberry
from tortoise.expressions import Q

from domain.commerce import service as commerce
from domain.commerce.models import Order as OrderModel
from domain.customers import service as customers
from domain.customers.models import Customer as CustomerModel
from domain.customers.phones import normalise_digits
from domain.events.schema import OrderStatus
from graph.core.context import Info
from graph.core.filters import one_of
from graph.core.ids import optional_uuid, to_uuid
from graph.core.pagination import Connection, paginate
from graph.core.permissions import Can
from graph.customers.types import Customer, Order


@strawberry.type
class Query:
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
        found = await customers.get(tenant_id=scope, customer_id=to_uuid(id, what="Customer"))
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
        queryset = OrderModel.filter(tenant_id=scope)
        if customer_id:
            queryset = queryset.filter(customer_id=to_uuid(customer_id, what="Customer", field="customerId"))
        wanted = one_of(status, [choice.value for choice in OrderStatus], field="status", prefix="wc-")
        if wanted:
            queryset = queryset.filter(status=wanted)
        return await paginate(
            queryset,
            first=first,
            after=after,
            cap=info.context.settings.page_size_cap,
            to_node=Order.from_model,
        )

    @strawberry.field(description="One order.", permission_classes=[Can("orders", "read")])
    async def order(self, info: Info, id: strawberry.ID, tenant_id: strawberry.ID | None = None) -> Order:
        scope = info.context.require_tenant(optional_uuid(tenant_id))
        return Order.from_model(await commerce.get_order(tenant_id=scope, order_id=to_uuid(id, what="Order")))
