"""Owners' adjustments: a grant or deduction with a reason, once per key, never below zero, audited."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from uuid import uuid4

import pytest
from tortoise.transactions import in_transaction

from domain.audit.models import AuditEntry
from domain.errors import DomainError
from domain.incentives import adjustments, ledger
from domain.incentives.checkout import InsufficientCredit
from domain.incentives.models import CreditAccount, CreditEntry
from tests.support.automation import NOW, make_customer, make_tenant

ACTOR = uuid4()


async def _adjust(
    tenant_id, customer_id, amount: int, key: str = "k-1", reason: str = "Late delivery", **extra
):
    async with in_transaction():
        return await adjustments.adjust(
            tenant_id=tenant_id,
            customer_id=customer_id,
            amount=amount,
            reason=reason,
            idempotency_key=key,
            actor_user_id=ACTOR,
            now=NOW,
            **extra,
        )


async def test_a_grant_is_spendable_at_once_and_audited_with_who_and_why(db: None) -> None:
    """A grant of 50,000 is one adjustment line and one credit.adjusted audit entry with the balance after."""
    # given
    tenant = await make_tenant()
    customer = await make_customer(tenant)
    # when
    done = await _adjust(tenant.id, customer.id, 50_000, reason="  Late delivery  ")
    # then
    assert (done.entry.kind, done.entry.amount, done.entry.note) == ("adjustment", 50_000, "Late delivery")
    assert done.balances == ledger.Balances(available=50_000, pending=0)
    audit = await AuditEntry.get(tenant_id=tenant.id)
    assert (audit.actor_user_id, audit.action, audit.subject_type, audit.subject_id) == (
        ACTOR,
        "credit.adjusted",
        "customer",
        str(customer.id),
    )
    assert audit.detail["amount"] == 50_000
    assert audit.detail["reason"] == "Late delivery"
    assert audit.detail["available_after"] == 50_000
    assert audit.detail["entry_id"] == str(done.entry.id)


async def test_a_deduction_never_takes_the_balance_below_zero(db: None) -> None:
    """Deducting exactly what is available works; one unit more is INSUFFICIENT_CREDIT and writes nothing."""
    # given
    tenant = await make_tenant()
    customer = await make_customer(tenant)
    await _adjust(tenant.id, customer.id, 1_000, key="grant")
    # when
    with pytest.raises(InsufficientCredit) as refused:
        await _adjust(tenant.id, customer.id, -1_001, key="too-much")
    exact = await _adjust(tenant.id, customer.id, -1_000, key="exact")
    # then
    assert refused.value.available == 1_000
    assert exact.balances == ledger.Balances(0, 0)
    assert await CreditEntry.filter(tenant_id=tenant.id).count() == 2
    assert await AuditEntry.filter(tenant_id=tenant.id).count() == 2


async def test_pending_credit_cannot_be_deducted(db: None) -> None:
    """Cashback still pending is not available: a deduction of it is refused."""
    # given
    tenant = await make_tenant()
    customer = await make_customer(tenant)
    await ledger.grant(
        tenant_id=tenant.id,
        customer_id=customer.id,
        amount=500,
        kind=ledger.CASHBACK,
        idempotency_key="later",
        available_at=NOW + timedelta(days=7),
        now=NOW,
    )
    # when
    with pytest.raises(InsufficientCredit) as refused:
        await _adjust(tenant.id, customer.id, -1)
    # then
    assert refused.value.available == 0


async def test_the_same_key_twice_adjusts_once_and_a_different_adjustment_with_it_is_refused(
    db: None,
) -> None:
    """A retry returns the first line unchanged; the same key for another amount is IDEMPOTENCY_KEY_REUSED."""
    # given
    tenant = await make_tenant()
    customer = await make_customer(tenant)
    first = await _adjust(tenant.id, customer.id, 700)
    # when
    again = await _adjust(tenant.id, customer.id, 700)
    with pytest.raises(DomainError) as reused:
        await _adjust(tenant.id, customer.id, 800)
    # then
    assert (again.entry.id, again.repeated) == (first.entry.id, True)
    assert reused.value.code == "IDEMPOTENCY_KEY_REUSED"
    assert (await CreditAccount.get(customer_id=customer.id)).available == 700
    assert await AuditEntry.filter(tenant_id=tenant.id).count() == 1


async def test_the_same_request_at_once_adjusts_once(db: None) -> None:
    """Five identical requests at the same moment: one line, one audit entry, four repeats."""
    # given
    tenant = await make_tenant()
    customer = await make_customer(tenant)
    # when
    results = await asyncio.gather(*(_adjust(tenant.id, customer.id, 300) for _ in range(5)))
    # then
    assert sorted(result.repeated for result in results) == [False, True, True, True, True]
    assert await CreditEntry.filter(tenant_id=tenant.id).count() == 1
    assert await AuditEntry.filter(tenant_id=tenant.id).count() == 1


async def test_one_key_for_two_customers_at_once_is_refused_for_the_second(db: None) -> None:
    """Two customers' adjustments with one key race on the key itself: one is written, the other refused."""
    # given
    tenant = await make_tenant()
    alice, bob = await make_customer(tenant), await make_customer(tenant)
    # when
    results = await asyncio.gather(
        _adjust(tenant.id, alice.id, 100, key="shared"),
        _adjust(tenant.id, bob.id, 100, key="shared"),
        return_exceptions=True,
    )
    # then
    errors = [result for result in results if isinstance(result, DomainError)]
    assert [error.code for error in errors] == ["IDEMPOTENCY_KEY_REUSED"]
    assert await CreditEntry.filter(tenant_id=tenant.id).count() == 1


@pytest.mark.parametrize(
    ("reason", "field"),
    [
        ("", "reason"),
        ("   ", "reason"),
        ("x" * 256, "reason"),
        ("x" * 10_000, "reason"),
        ("bad\x00reason", "reason"),
        ("two\nlines", "reason"),
        ("hidden\u202eflip", "reason"),
    ],
)
async def test_a_reason_outside_its_limits_is_refused(db: None, reason: str, field: str) -> None:
    """Empty, blank, over 255 characters, NUL, newline or bidi control: INVALID on reason, nothing written."""
    # given
    tenant = await make_tenant()
    customer = await make_customer(tenant)
    # when
    with pytest.raises(DomainError) as refused:
        await _adjust(tenant.id, customer.id, 100, reason=reason)
    # then
    assert (refused.value.code, refused.value.field) == ("INVALID", field)
    assert await CreditEntry.all().count() == 0


async def test_a_reason_of_255_persian_characters_is_kept_whole(db: None) -> None:
    """The longest reason, in Persian with a ZWNJ-free text, is stored as given."""
    # given
    tenant = await make_tenant()
    customer = await make_customer(tenant)
    reason = ("جبران تاخیر ارسال " * 20)[:255]
    # when
    done = await _adjust(tenant.id, customer.id, 100, reason=reason)
    # then
    assert done.entry.note == reason.strip()


@pytest.mark.parametrize(
    ("amount", "key", "field"),
    [
        (0, "k", "amount"),
        (10**15 + 1, "k", "amount"),
        (-(10**15) - 1, "k", "amount"),
        (100, "", "idempotencyKey"),
        (100, "k" * 101, "idempotencyKey"),
        (100, "has space", "idempotencyKey"),
        (100, "nul\x00", "idempotencyKey"),
    ],
)
async def test_amounts_and_keys_outside_their_limits_are_refused(
    db: None, amount: int, key: str, field: str
) -> None:
    """Zero, beyond ±10^15, and empty, overlong or non-printable keys are INVALID on their field."""
    # given
    tenant = await make_tenant()
    customer = await make_customer(tenant)
    # when
    with pytest.raises(DomainError) as refused:
        await _adjust(tenant.id, customer.id, amount, key=key)
    # then
    assert (refused.value.code, refused.value.field) == ("INVALID", field)


async def test_granted_credit_may_expire_and_a_deduction_may_not(db: None) -> None:
    """A grant with an expiry carries it; an expiry on a deduction or in the past is INVALID."""
    # given
    tenant = await make_tenant()
    customer = await make_customer(tenant)
    # when
    granted = await _adjust(tenant.id, customer.id, 100, key="g", expires_at=NOW + timedelta(days=30))
    with pytest.raises(DomainError) as on_deduction:
        await _adjust(tenant.id, customer.id, -50, key="d", expires_at=NOW + timedelta(days=30))
    with pytest.raises(DomainError) as in_the_past:
        await _adjust(tenant.id, customer.id, 100, key="p", expires_at=NOW)
    # then
    assert granted.entry.expires_at == NOW + timedelta(days=30)
    assert (on_deduction.value.field, in_the_past.value.field) == ("expiresAt", "expiresAt")


async def test_another_stores_customer_is_not_found(db: None) -> None:
    """Adjusting a customer of another store is NOT_FOUND and writes nothing anywhere."""
    # given
    mine, theirs = await make_tenant(), await make_tenant()
    stranger = await make_customer(theirs)
    # when
    with pytest.raises(DomainError) as refused:
        await _adjust(mine.id, stranger.id, 100)
    # then
    assert refused.value.code == "NOT_FOUND"
    assert await CreditEntry.all().count() == 0
    assert await AuditEntry.all().count() == 0
