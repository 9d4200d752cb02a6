"""Batch functions of the customers context: customers, orders and order lines by id, within a tenant."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from uuid import UUID

from domain.commerce.models import Order, OrderItem
from domain.customers.models import Customer
from domain.incentives.models import CreditAccount
from domain.intelligence import bgnbd
from domain.intelligence.models import StoreIntelligence
from domain.intelligence.store import parameters_of
from graph.core.batching import TenantKey, by_tenant, children_by_key, rows_by_key
from permissions.enforcer import is_allowed
from permissions.principal import PLATFORM, Principal


async def load_customers(keys: Sequence[TenantKey]) -> list[Customer | None]:
    return await rows_by_key(Customer, keys)


async def load_orders(keys: Sequence[TenantKey]) -> list[Order | None]:
    return await rows_by_key(Order, keys)


async def load_order_items(keys: Sequence[TenantKey]) -> list[list[OrderItem]]:
    """Each order's lines, in the order they were stored."""
    return await children_by_key(OrderItem, keys, parent="order_id")


async def load_credit_balances(keys: Sequence[TenantKey]) -> list[int]:
    """Each customer's available credit as their account holds it; 0 for a customer with no account."""
    found: dict[TenantKey, int] = {}
    for tenant_id, ids in by_tenant(keys).items():
        accounts = CreditAccount.filter(tenant_id=tenant_id, customer_id__in=ids)
        for customer_id, available in await accounts.values_list("customer_id", "available"):
            found[(tenant_id, customer_id)] = available
    return [found.get(key, 0) for key in keys]


async def load_purchase_models(tenant_ids: Sequence[UUID]) -> list[bgnbd.Parameters]:
    """Each store's purchase model as its last refresh fitted it; the published one before that."""
    rows = await StoreIntelligence.filter(tenant_id__in=list(set(tenant_ids)))
    fitted = {row.tenant_id: parameters_of(row) for row in rows}  # type: ignore[attr-defined]
    return [fitted.get(tenant_id, bgnbd.PRIORS) for tenant_id in tenant_ids]


def customer_references(principal: Principal) -> Callable[[Sequence[UUID]], Awaitable[list[Customer | None]]]:
    """A batch function for a gateway's references to customers, which name no tenant.

    One ``id__in`` query limited to the tenants the principal holds a role in (any tenant for platform
    roles); a customer is then answered only if the principal may read customers in its tenant.
    """

    async def load(keys: Sequence[UUID]) -> list[Customer | None]:
        query = Customer.filter(id__in=list(dict.fromkeys(keys)))
        if PLATFORM not in principal.roles:
            tenants = principal.tenant_ids()
            if not tenants:  # nobody, or no store: nothing to look for
                return [None] * len(keys)
            query = query.filter(tenant_id__in=tenants)
        found = {
            row.id: row
            for row in await query
            if is_allowed(principal, row.tenant_id, "customers", "read")  # type: ignore[attr-defined]
        }
        return [found.get(key) for key in keys]

    return load
