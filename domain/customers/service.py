"""Customers: what identifies one (external id, phone, e-mail) and look-ups by it.

A batch of events writes customers through :mod:`domain.customers.batch`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from uuid import UUID

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


@lru_cache(maxsize=65_536)  # a backfill names each customer's phone on every order; parsing is slow
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


async def get(*, tenant_id: UUID, customer_id: UUID) -> Customer:
    customer = await Customer.get_or_none(id=customer_id, tenant_id=tenant_id)
    if customer is None:
        raise NotFound("Customer")
    return customer
