"""Customers: identity resolution on the way in, and metrics kept current from their orders."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from tortoise.expressions import Q
from tortoise.functions import Count, Max, Min, Sum

from domain.commerce.models import Order
from domain.customers.models import Customer
from domain.customers.phones import normalise_phone
from domain.errors import DomainError, NotFound

# Statuses in which an order counts as a purchase for the customer's metrics.
PURCHASE_STATUSES = ("processing", "completed", "on-hold")


@dataclass(frozen=True)
class CustomerIn:
    """What an event says about a customer. None means "not said", never "erase"."""

    external_id: str | None = None
    phone: str | None = None
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    city: str | None = None
    birthday: date | None = None
    marketing_consent: bool | None = None


def safe_phone(raw: str | None) -> str | None:
    """E.164, or None when the store sent something that is not a phone number."""
    try:
        return normalise_phone(raw)
    except DomainError:
        return None


async def find(*, tenant_id: UUID, customer_in: CustomerIn) -> Customer | None:
    """The customer these details identify: by external id, else by phone, else by e-mail."""
    if customer_in.external_id:
        found = await Customer.get_or_none(tenant_id=tenant_id, external_id=customer_in.external_id)
        if found:
            return found
    if customer_in.phone:
        found = await Customer.filter(tenant_id=tenant_id, phone=customer_in.phone).first()
        if found:
            return found
    if customer_in.email:
        return (
            await Customer.filter(tenant_id=tenant_id, email=customer_in.email).order_by("created_at").first()
        )
    return None


async def upsert(*, tenant_id: UUID, customer_in: CustomerIn, now: datetime) -> tuple[Customer, bool]:
    """Find the customer these details identify, or create them; fill in what is newly known.

    Returns the customer and whether it was created. A phone already held by another customer of the
    store is not moved (phones identify people), so that customer keeps it.
    """
    if not (customer_in.external_id or customer_in.phone or customer_in.email):
        raise DomainError("UNIDENTIFIABLE", "A customer needs an external id, a phone or an e-mail.")
    customer = await find(tenant_id=tenant_id, customer_in=customer_in)
    created = customer is None
    if customer is None:
        customer = Customer(tenant_id=tenant_id)
    if customer_in.external_id and not customer.external_id:
        customer.external_id = customer_in.external_id
    if customer_in.phone and customer.phone != customer_in.phone:
        taken = await Customer.filter(
            Q(tenant_id=tenant_id) & Q(phone=customer_in.phone) & ~Q(id=customer.id)
        ).exists()
        if not taken:
            customer.phone = customer_in.phone
    for name in ("email", "first_name", "last_name", "city", "birthday"):
        value = getattr(customer_in, name)
        if value is not None:
            setattr(customer, name, value)
    if (
        customer_in.marketing_consent is not None
        and customer_in.marketing_consent != customer.marketing_consent
    ):
        customer.marketing_consent = customer_in.marketing_consent
        customer.consent_source = "store"
        customer.consent_changed_at = now
    await customer.save()
    return customer, created


async def refresh_metrics(*, tenant_id: UUID, customer_id: UUID) -> None:
    """Recompute the customer's order count, spend and first/last order from their purchases."""
    row = (
        await Order.filter(tenant_id=tenant_id, customer_id=customer_id, status__in=PURCHASE_STATUSES)
        .annotate(
            count=Count("id"), spent=Sum("total"), refunded=Sum("refunded_total"), first=Min("placed_at")
        )
        .annotate(last=Max("placed_at"))
        .values("count", "spent", "refunded", "first", "last")
    )
    metrics = row[0] if row else {}
    await Customer.filter(id=customer_id, tenant_id=tenant_id).update(
        orders_count=metrics.get("count") or 0,
        total_spent=(metrics.get("spent") or 0) - (metrics.get("refunded") or 0),
        first_order_at=metrics.get("first"),
        last_order_at=metrics.get("last"),
    )


async def get(*, tenant_id: UUID, customer_id: UUID) -> Customer:
    customer = await Customer.get_or_none(id=customer_id, tenant_id=tenant_id)
    if customer is None:
        raise NotFound("Customer")
    return customer
