"""The request's DataLoaders: one per lookup by id, built fresh for every request (so nothing is cached
across requests or principals), each batching what a query asks for into one statement.

The batch functions live with their context (``graph/<context>/dataloaders.py``); this gathers them.
Tenant-owned rows are keyed ``(tenant id, id)`` (:mod:`graph.core.batching`): another store's id finds
nothing. Federation references, which name no tenant, go through ``customer_references``, which answers
only within tenants the principal may read and primes ``customers`` with what it found.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from strawberry.dataloader import DataLoader

from domain.automation.models import Automation, AutomationStepEvent, AutomationVersion
from domain.commerce.models import Order, OrderItem
from domain.coupons.models import CouponTemplate
from domain.customers.models import Customer
from domain.intelligence import bgnbd
from domain.tenancy.models import Tenant
from graph.automation.dataloaders import load_automation_versions, load_automations, load_step_events
from graph.core.batching import TenantKey
from graph.coupons.dataloaders import load_coupon_templates
from graph.customers.dataloaders import (
    customer_references,
    load_credit_balances,
    load_customers,
    load_order_items,
    load_orders,
    load_purchase_models,
)
from graph.tenancy.dataloaders import load_tenants
from permissions.principal import Principal


@dataclass(frozen=True)
class DataLoaders:
    tenants: DataLoader[UUID, Tenant | None]
    customers: DataLoader[TenantKey, Customer | None]
    customer_references: DataLoader[UUID, Customer | None]
    credit_balances: DataLoader[TenantKey, int]
    purchase_models: DataLoader[UUID, bgnbd.Parameters]
    orders: DataLoader[TenantKey, Order | None]
    order_items: DataLoader[TenantKey, list[OrderItem]]
    automations: DataLoader[TenantKey, Automation | None]
    automation_versions: DataLoader[TenantKey, list[AutomationVersion]]
    automation_step_events: DataLoader[TenantKey, list[AutomationStepEvent]]
    coupon_templates: DataLoader[TenantKey, CouponTemplate | None]

    @classmethod
    def for_request(cls, principal: Principal) -> DataLoaders:
        return cls(
            tenants=DataLoader(load_fn=load_tenants),
            customers=DataLoader(load_fn=load_customers),
            customer_references=DataLoader(load_fn=customer_references(principal)),
            credit_balances=DataLoader(load_fn=load_credit_balances),
            purchase_models=DataLoader(load_fn=load_purchase_models),
            orders=DataLoader(load_fn=load_orders),
            order_items=DataLoader(load_fn=load_order_items),
            automations=DataLoader(load_fn=load_automations),
            automation_versions=DataLoader(load_fn=load_automation_versions),
            automation_step_events=DataLoader(load_fn=load_step_events),
            coupon_templates=DataLoader(load_fn=load_coupon_templates),
        )
