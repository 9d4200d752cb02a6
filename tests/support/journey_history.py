"""Factories for the date-trigger, dry-run and statistics tests: stores in any timezone and calendar,
customers with a purchase history, date journeys.

Stores go through the tenancy service and journeys through the automation service (as the product
makes them); customers and orders are written with the models (ingestion is tested elsewhere), with
the purchase facts the metrics would have computed set explicitly.
"""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from domain.automation import service as automations
from domain.automation.definition import JourneyDefinition
from domain.automation.models import Automation
from domain.commerce.models import Order
from domain.customers.models import Customer
from domain.tenancy import service as tenancy
from domain.tenancy.models import Tenant
from tests.support.factories import fund

_numbers = itertools.count(1)

SMS_STEP: dict[str, Any] = {
    "type": "send_sms",
    "template": "{first_name}، دلمان برایتان تنگ شده.",
    "purpose": "marketing",
}


async def make_store(
    *, name: str | None = None, locale: str = "fa", timezone: str = "Asia/Tehran", currency: str = "IRT"
) -> Tenant:
    """A store with a funded wallet; ``locale`` fa makes it Jalali, en or ar Gregorian."""
    tenant = await tenancy.create_tenant(
        tenant_in=tenancy.TenantIn(
            name=name or f"Store {next(_numbers)}", currency=currency, locale=locale, timezone=timezone
        )
    )
    await fund(tenant.id)
    return tenant


async def make_person(tenant: Tenant, *, phone: str | None = "", **facts: Any) -> Customer:
    """A customer with a unique mobile (``phone=None``: none) and any customer columns in ``facts``."""
    number = next(_numbers)
    return await Customer.create(
        tenant_id=tenant.id,
        external_id=f"p{number}",
        phone=f"+98935{number:07d}" if phone == "" else phone,
        first_name=facts.pop("first_name", "مریم"),
        **facts,
    )


async def make_purchase(
    tenant: Tenant,
    customer: Customer,
    *,
    at: datetime,
    total: int = 1_000_000,
    status: str = "completed",
    shipping_total: int = 0,
    refunded_total: int = 0,
) -> Order:
    """An order of ``customer`` placed (and, when completed, completed) at ``at``."""
    number = next(_numbers)
    return await Order.create(
        tenant_id=tenant.id,
        customer_id=customer.id,
        external_id=f"q{number}",
        number=str(5000 + number),
        status=status,
        currency=tenant.currency,
        total=total,
        shipping_total=shipping_total,
        refunded_total=refunded_total,
        placed_at=at,
        completed_at=at if status == "completed" else None,
        source_updated_at=at,
    )


async def make_journey(
    tenant: Tenant, raw: dict[str, Any], *, active: bool = True, name: str | None = None
) -> Automation:
    """A journey made through the service from ``raw`` (default steps: one marketing SMS)."""
    definition = JourneyDefinition.model_validate({"steps": [SMS_STEP], **raw})
    automation = await automations.create(
        tenant_id=tenant.id, name=name or f"Journey {next(_numbers)}", definition=definition
    )
    if active:
        automation = await automations.activate(
            tenant_id=tenant.id, automation_id=automation.id, now=datetime.now(UTC)
        )
    return automation


def local(day: date, hour: int, tenant: Tenant, minute: int = 0) -> datetime:
    """``hour:minute`` of ``day`` in the store's timezone, as an aware datetime."""
    return datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(tenant.timezone))
