"""Factories for automation, credit and messaging tests: stores, customers, orders and definitions.

Customers and orders are written with the models directly (ingestion is tested elsewhere); stores go
through the tenancy service like everywhere else.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from domain.automation import service as automations
from domain.automation.definition import JourneyDefinition
from domain.automation.models import Automation
from domain.commerce.models import Order
from domain.customers.models import Customer
from domain.incentives import ledger
from domain.tenancy import service as tenancy
from domain.tenancy.models import Tenant
from tests.support.factories import fund

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
_numbers = itertools.count(1)

CASHBACK_AND_SMS: dict[str, Any] = {
    "trigger": "order.completed",
    "conditions": [{"type": "order_total", "op": "gte", "amount": 500_000}],
    "steps": [
        {"type": "grant_cashback", "percent": "10", "cap": 200_000, "available_after_days": 7},
        {"type": "send_sms", "template": "{first_name} جان، {credit} اعتبار در {store}. موجودی: {balance}"},
    ],
}
"""10 % cashback (capped at 200,000) on orders of 500,000 or more, then a transactional SMS."""


async def make_tenant(*, name: str = "Ketab", currency: str = "IRT", locale: str = "fa") -> Tenant:
    """A store with a funded wallet (:func:`tests.support.factories.fund`)."""
    tenant_in = tenancy.TenantIn(name=name, currency=currency, locale=locale)
    tenant = await tenancy.create_tenant(tenant_in=tenant_in)
    await fund(tenant.id)
    return tenant


async def make_customer(
    tenant: Tenant,
    *,
    phone: str | None = "",
    first_name: str = "سارا",
    marketing_consent: bool = True,
) -> Customer:
    """A customer with a unique valid Iranian mobile, unless ``phone`` says otherwise (None: no phone)."""
    number = next(_numbers)
    return await Customer.create(
        tenant_id=tenant.id,
        external_id=f"c{number}",
        phone=f"+98912{number:07d}" if phone == "" else phone,
        first_name=first_name,
        marketing_consent=marketing_consent,
    )


async def give_credit(customer: Customer, amount: int) -> None:
    """``amount`` of credit for ``customer``, spendable from a minute ago (a gift, once per customer)."""
    await ledger.grant(
        tenant_id=customer.tenant_id,  # type: ignore[attr-defined]
        customer_id=customer.id,
        amount=amount,
        kind="credit",
        idempotency_key=f"gift:{customer.id}",
        available_at=datetime.now(UTC) - timedelta(minutes=1),
    )


async def make_order(
    tenant: Tenant,
    customer: Customer | None,
    *,
    total: int = 1_000_000,
    shipping_total: int = 50_000,
    status: str = "completed",
) -> Order:
    number = next(_numbers)
    return await Order.create(
        tenant_id=tenant.id,
        customer_id=customer.id if customer else None,
        external_id=f"o{number}",
        number=str(1000 + number),
        status=status,
        currency=tenant.currency,
        total=total,
        shipping_total=shipping_total,
        placed_at=NOW,
        completed_at=NOW,
        source_updated_at=NOW,
    )


def definition(raw: dict[str, Any] | None = None, **changes: Any) -> JourneyDefinition:
    """A validated definition: ``raw`` (default :data:`CASHBACK_AND_SMS`) with top-level ``changes``."""
    return JourneyDefinition.model_validate({**(raw or CASHBACK_AND_SMS), **changes})


async def make_automation(
    tenant: Tenant, raw: dict[str, Any] | None = None, *, active: bool = True, name: str = "Cashback"
) -> Automation:
    automation = await automations.create(tenant_id=tenant.id, name=name, definition=definition(raw))
    if active:
        automation = await automations.activate(tenant_id=tenant.id, automation_id=automation.id, now=NOW)
    return automation
