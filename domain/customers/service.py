"""Customers: identity resolution on the way in, and metrics kept current from their orders."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from tortoise import Tortoise
from tortoise.expressions import Q

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

    def __post_init__(self) -> None:
        # E-mail identity is case-insensitive wherever a CustomerIn comes from.
        object.__setattr__(self, "email", identity_email(self.email))


def safe_phone(raw: str | None, *, country: str) -> str | None:
    """E.164, or None when the store sent something that is not a phone number.

    ``country`` is the store's (ISO 3166-1 alpha-2): a number written without a country code is read
    as a number of that country, so ``07700 900124`` is British in a British store.
    """
    try:
        return normalise_phone(raw, default_region=country)
    except DomainError:
        return None


def identity_email(raw: str | None) -> str | None:
    """The e-mail as an identity: trimmed and lower-cased (``SARA@X.IR`` and ``sara@x.ir`` are one
    person), or None when blank."""
    cleaned = (raw or "").strip().lower()
    return cleaned or None


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


_REFRESH_METRICS = """
UPDATE customers AS c
SET orders_count = m.orders_count, total_spent = m.total_spent,
    first_order_at = m.first_order_at, last_order_at = m.last_order_at
FROM (
    SELECT count(*) AS orders_count,
           -- what the customer kept paying for: an order's refunds never count past its total
           COALESCE(sum(GREATEST(o.total - o.refunded_total, 0)), 0) AS total_spent,
           min(o.placed_at) AS first_order_at, max(o.placed_at) AS last_order_at
    FROM orders AS o
    WHERE o.tenant_id = $1 AND o.customer_id = $2 AND o.status = ANY($3::text[])
) AS m
WHERE c.tenant_id = $1 AND c.id = $2
"""


async def refresh_metrics(*, tenant_id: UUID, customer_id: UUID) -> None:
    """Recompute the customer's order count, spend and first/last order from their purchases."""
    await Tortoise.get_connection("default").execute_query(
        _REFRESH_METRICS, [tenant_id, customer_id, list(PURCHASE_STATUSES)]
    )


async def get(*, tenant_id: UUID, customer_id: UUID) -> Customer:
    customer = await Customer.get_or_none(id=customer_id, tenant_id=tenant_id)
    if customer is None:
        raise NotFound("Customer")
    return customer
