"""The quote's one-statement look-up finds the customer as customers.find does and sums what is available."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

from domain.customers import service as customers
from domain.customers.models import Customer
from domain.customers.service import CustomerIn
from domain.incentives import checkout, ledger
from tests.support.automation import make_tenant

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


async def person(tenant_id: UUID, credit: int, **identity: str) -> Customer:
    customer = await Customer.create(tenant_id=tenant_id, **identity)
    await ledger.grant(
        tenant_id=tenant_id,
        customer_id=customer.id,
        amount=credit,
        kind="credit",
        idempotency_key=f"gift:{customer.id}",
        available_at=NOW - timedelta(days=1),
    )
    return customer


async def test_the_store_id_wins_then_the_phone_then_the_oldest_email(db: None) -> None:
    """Each way of naming a customer finds the one customers.find finds, and that customer's credit."""
    # given
    tenant = await make_tenant()
    by_id = await person(tenant.id, 100, external_id="57")
    by_phone = await person(tenant.id, 200, phone="+989121234567")
    oldest = await person(tenant.id, 300, email="sara@example.com")
    await person(tenant.id, 400, email="sara@example.com")
    asked = [
        CustomerIn(external_id="57", phone="+989121234567", email="sara@example.com"),
        CustomerIn(external_id="58", phone="+989121234567", email="sara@example.com"),
        CustomerIn(external_id="58", phone="+989120000000", email="SARA@example.com"),
    ]
    # when
    quotes = [
        await checkout.quote(tenant_id=tenant.id, customer_in=details, cart_total_minor=250, now=NOW)
        for details in asked
    ]
    found = [await customers.find(tenant_id=tenant.id, customer_in=details) for details in asked]
    # then
    assert [customer.id for customer in found if customer] == [by_id.id, by_phone.id, oldest.id]
    assert [(quote.available, quote.max_usable) for quote in quotes] == [(100, 100), (200, 200), (300, 250)]


async def test_pending_credit_and_other_stores_are_left_out(db: None) -> None:
    """Credit not yet available is not offered; another store's customer with the same id is no one."""
    # given
    tenant, other = await make_tenant(), await make_tenant(name="Other")
    customer = await person(tenant.id, 100, external_id="57")
    await ledger.grant(
        tenant_id=tenant.id,
        customer_id=customer.id,
        amount=900,
        kind="cashback",
        idempotency_key="later",
        available_at=NOW + timedelta(days=7),
    )
    # when
    here = await checkout.quote(
        tenant_id=tenant.id, customer_in=CustomerIn(external_id="57"), cart_total_minor=10_000, now=NOW
    )
    elsewhere = await checkout.quote(
        tenant_id=other.id, customer_in=CustomerIn(external_id="57"), cart_total_minor=10_000, now=NOW
    )
    # then
    assert here == checkout.Quote(customer_found=True, available=100, max_usable=100)
    assert elsewhere == checkout.Quote(customer_found=False, available=0, max_usable=0)


async def test_a_known_customer_without_credit_is_found_with_nothing(db: None) -> None:
    """A customer with no ledger lines is found, with zero available."""
    # given
    tenant = await make_tenant()
    await Customer.create(tenant_id=tenant.id, external_id="7")
    # when
    quote = await checkout.quote(
        tenant_id=tenant.id, customer_in=CustomerIn(external_id="7"), cart_total_minor=5, now=NOW
    )
    # then
    assert quote == checkout.Quote(customer_found=True, available=0, max_usable=0)
