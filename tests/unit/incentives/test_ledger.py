"""The credit ledger: grants once per key, balances by time, reversals that never go below zero."""

from __future__ import annotations

from datetime import timedelta

import pytest
from tortoise.transactions import in_transaction

from domain.errors import DomainError
from domain.incentives import ledger
from domain.incentives.models import CreditAccount, CreditEntry
from tests.support.automation import NOW, make_customer, make_order, make_tenant

WEEK = timedelta(days=7)


async def test_granting_twice_with_one_key_writes_one_entry(db: None) -> None:
    """A repeated idempotency key returns the first entry and grants nothing more."""
    # given
    tenant = await make_tenant()
    customer = await make_customer(tenant)
    grant = dict(
        tenant_id=tenant.id, customer_id=customer.id, kind="cashback", idempotency_key="k1", available_at=NOW
    )
    # when
    async with in_transaction():
        first = await ledger.grant(amount=1000, now=NOW, **grant)
    async with in_transaction():
        second = await ledger.grant(amount=5000, now=NOW, **grant)
    # then
    assert second.id == first.id
    assert await CreditEntry.filter(tenant_id=tenant.id).count() == 1
    account = await CreditAccount.get(customer_id=customer.id)
    assert (account.available, account.pending) == (1000, 0)


@pytest.mark.parametrize("amount", [0, -5])
async def test_a_grant_must_be_more_than_zero(db: None, amount: int) -> None:
    """Zero and negative grants are refused with INVALID_AMOUNT and write nothing."""
    # given
    tenant = await make_tenant()
    customer = await make_customer(tenant)
    # when
    with pytest.raises(DomainError) as error:
        await ledger.grant(
            tenant_id=tenant.id,
            customer_id=customer.id,
            amount=amount,
            kind="credit",
            idempotency_key="k",
            available_at=NOW,
        )
    # then
    assert error.value.code == "INVALID_AMOUNT"
    assert await CreditEntry.all().count() == 0


async def test_balances_split_pending_and_available_by_time(db: None) -> None:
    """Credit is pending until its available_at and available from then on; the cron releases the cache."""
    # given
    tenant = await make_tenant()
    customer = await make_customer(tenant)
    scope = dict(tenant_id=tenant.id, customer_id=customer.id)
    await ledger.grant(**scope, amount=300, kind="credit", idempotency_key="now", available_at=NOW, now=NOW)
    await ledger.grant(
        **scope, amount=700, kind="cashback", idempotency_key="later", available_at=NOW + WEEK, now=NOW
    )
    # when
    today = await ledger.balances(**scope, now=NOW)
    next_week = await ledger.balances(**scope, now=NOW + WEEK)
    cached_before = await CreditAccount.get(customer_id=customer.id)
    released = await ledger.release_matured(tenant_id=tenant.id, now=NOW + WEEK)
    cached_after = await CreditAccount.get(customer_id=customer.id)
    # then
    assert today == ledger.Balances(available=300, pending=700)
    assert next_week == ledger.Balances(available=1000, pending=0)
    assert (cached_before.available, cached_before.pending) == (300, 700)
    assert released == 1
    assert (cached_after.available, cached_after.pending) == (1000, 0)


async def test_reversing_a_pending_grant_cancels_it_in_full(db: None) -> None:
    """A reversal of pending cashback matures with it, so nothing is ever available from it."""
    # given
    tenant = await make_tenant()
    customer = await make_customer(tenant)
    order = await make_order(tenant, customer)
    scope = dict(tenant_id=tenant.id, customer_id=customer.id)
    await ledger.grant(
        **scope, amount=900, kind="cashback", idempotency_key="g", available_at=NOW + WEEK, order_id=order.id
    )
    # when
    async with in_transaction():
        reversals = await ledger.reverse_order_grants(
            tenant_id=tenant.id, order_id=order.id, reason="order refunded", now=NOW
        )
    # then
    assert [(r.kind, r.amount, r.available_at) for r in reversals] == [("reversal", -900, NOW + WEEK)]
    assert await ledger.balances(**scope, now=NOW) == ledger.Balances(0, 0)
    assert await ledger.balances(**scope, now=NOW + WEEK) == ledger.Balances(0, 0)


async def test_reversing_an_available_grant_takes_it_back_once(db: None) -> None:
    """Available cashback is taken back; reversing the order again reverses nothing more."""
    # given
    tenant = await make_tenant()
    customer = await make_customer(tenant)
    order = await make_order(tenant, customer)
    scope = dict(tenant_id=tenant.id, customer_id=customer.id)
    await ledger.grant(**scope, amount=400, kind="credit", idempotency_key="gift", available_at=NOW)
    await ledger.grant(
        **scope, amount=900, kind="cashback", idempotency_key="g", available_at=NOW, order_id=order.id
    )
    # when
    first = await ledger.reverse_order_grants(
        tenant_id=tenant.id, order_id=order.id, reason="order cancelled", now=NOW
    )
    second = await ledger.reverse_order_grants(
        tenant_id=tenant.id, order_id=order.id, reason="order cancelled", now=NOW
    )
    # then
    assert [r.amount for r in first] == [-900]
    assert second == []
    assert await ledger.balances(**scope, now=NOW) == ledger.Balances(available=400, pending=0)
    account = await CreditAccount.get(customer_id=customer.id)
    assert account.available == 400


async def test_reversing_partly_spent_cashback_never_goes_below_zero(db: None) -> None:
    """When the customer spent part of the cashback, only what is left is taken back."""
    # given
    tenant = await make_tenant()
    customer = await make_customer(tenant)
    order = await make_order(tenant, customer)
    scope = dict(tenant_id=tenant.id, customer_id=customer.id)
    await ledger.grant(
        **scope, amount=1000, kind="cashback", idempotency_key="g", available_at=NOW, order_id=order.id
    )
    await CreditEntry.create(**scope, kind="spend", amount=-700, available_at=NOW, idempotency_key="spend")
    # when
    reversals = await ledger.reverse_order_grants(
        tenant_id=tenant.id, order_id=order.id, reason="order refunded", now=NOW
    )
    # then
    assert [r.amount for r in reversals] == [-300]
    assert "700 already spent" in reversals[0].note
    assert await ledger.balances(**scope, now=NOW) == ledger.Balances(available=0, pending=0)


async def test_another_stores_customer_is_not_found(db: None) -> None:
    """A grant for a customer of another store is refused as NOT_FOUND, and writes nothing."""
    # given
    mine, theirs = await make_tenant(name="Mine"), await make_tenant(name="Theirs")
    their_customer = await make_customer(theirs)
    # when
    with pytest.raises(DomainError) as error:
        await ledger.grant(
            tenant_id=mine.id,
            customer_id=their_customer.id,
            amount=100,
            kind="credit",
            idempotency_key="k",
            available_at=NOW,
        )
    # then
    assert error.value.code == "NOT_FOUND"
    assert await CreditEntry.all().count() == 0
