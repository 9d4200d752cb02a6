"""Spending credit at checkout: quotes, holds under a lock, releases, and order events settling them."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from tortoise.transactions import in_transaction

from domain.customers.models import Customer
from domain.customers.service import CustomerIn, safe_phone
from domain.errors import DomainError
from domain.events.processing import process_pending
from domain.events.service import store_events
from domain.incentives import checkout, ledger
from domain.incentives.models import CreditAccount, CreditEntry
from domain.tenancy.models import Tenant
from tests.support.automation import make_customer, make_tenant

NOW = datetime.now(UTC) - timedelta(minutes=1)
"""Checkout happens now: the automation engine, reacting to orders, works on the wall clock."""


def order_event(
    event_id: str,
    customer: Customer,
    *,
    status: str,
    at: str,
    credit_used: str = "50000",
    order: str = "1042",
) -> dict[str, Any]:
    return {
        "id": event_id,
        "type": "order.updated",
        "occurred_at": at,
        "data": {
            "external_id": order,
            "status": status,
            "currency": "IRT",
            "total": "1000000",
            "credit_used": credit_used,
            "customer": {"external_id": customer.external_id},
        },
    }


async def process(tenant: Tenant, *events: dict[str, Any], now: datetime = NOW) -> None:
    """Receive and process the events as the worker does, the automation engine listening."""
    await store_events(tenant_id=tenant.id, source="api", raw_events=list(events))
    report = await process_pending(tenant_id=tenant.id, now=now)
    assert report.failed == 0


async def funded_customer(tenant: Tenant, amount: int = 120_000) -> Customer:
    customer = await make_customer(tenant)
    await ledger.grant(
        tenant_id=tenant.id,
        customer_id=customer.id,
        amount=amount,
        kind="credit",
        idempotency_key=f"gift:{customer.id}",
        available_at=NOW,
        now=NOW,
    )
    return customer


async def hold(tenant: Tenant, customer: Customer, amount: int, order: str = "1042") -> checkout.Hold:
    async with in_transaction():
        return await checkout.hold(
            tenant_id=tenant.id,
            customer_in=CustomerIn(external_id=customer.external_id),
            order_external_id=order,
            amount=amount,
            now=NOW,
        )


async def release(tenant: Tenant, order: str = "1042") -> checkout.Release:
    async with in_transaction():
        return await checkout.release(tenant_id=tenant.id, order_external_id=order, now=NOW)


async def available(tenant: Tenant, customer: Customer) -> int:
    """The available balance from the ledger, after checking the cached one agrees."""
    now = datetime.now(UTC)
    balances = await ledger.balances(tenant_id=tenant.id, customer_id=customer.id, now=now)
    account = await CreditAccount.get(tenant_id=tenant.id, customer_id=customer.id)
    assert account.available == balances.available
    return balances.available


async def checkout_lines(tenant: Tenant) -> list[tuple[str, int, str]]:
    """(kind, amount, key) of every ledger line but the grants, oldest first."""
    entries = (
        await CreditEntry.filter(tenant_id=tenant.id).exclude(kind="credit").order_by("created_at", "id")
    )
    return [(entry.kind, entry.amount, entry.idempotency_key) for entry in entries]


# --- quotes ---------------------------------------------------------------------------------------


async def test_a_quote_offers_the_available_credit_up_to_the_cart_total(db: None) -> None:
    """Pending credit is not offered; max_usable stops at the cart total; a local phone finds the customer."""
    # given
    tenant = await make_tenant()
    customer = await funded_customer(tenant, 120_000)
    await ledger.grant(
        tenant_id=tenant.id,
        customer_id=customer.id,
        amount=70_000,
        kind="cashback",
        idempotency_key="later",
        available_at=NOW + timedelta(days=7),
        now=NOW,
    )
    local_phone = "0" + (customer.phone or "")[3:]
    by_phone = CustomerIn(phone=safe_phone(local_phone, country="IR"))
    # when
    big_cart = await checkout.quote(
        tenant_id=tenant.id, customer_in=by_phone, cart_total_minor=1_250_000, now=NOW
    )
    small_cart = await checkout.quote(
        tenant_id=tenant.id, customer_in=by_phone, cart_total_minor=80_000, now=NOW
    )
    # then
    assert big_cart == checkout.Quote(customer_found=True, available=120_000, max_usable=120_000)
    assert small_cart == checkout.Quote(customer_found=True, available=120_000, max_usable=80_000)


async def test_an_unknown_customer_is_quoted_nothing_and_is_not_created(db: None) -> None:
    """Someone Revisit does not know has no credit, and asking does not make them a customer."""
    # given
    tenant = await make_tenant()
    # when
    quote = await checkout.quote(
        tenant_id=tenant.id,
        customer_in=CustomerIn(external_id="404", phone=safe_phone("09350000000", country="IR")),
        cart_total_minor=1_000,
        now=NOW,
    )
    # then
    assert quote == checkout.Quote(customer_found=False, available=0, max_usable=0)
    assert await Customer.filter(tenant_id=tenant.id).count() == 0


async def test_a_quote_needs_someone_to_look_for(db: None) -> None:
    """No external id, no valid phone and no e-mail is INVALID, not an unknown customer."""
    # given
    tenant = await make_tenant()
    # when
    with pytest.raises(DomainError) as error:
        await checkout.quote(
            tenant_id=tenant.id,
            customer_in=CustomerIn(phone=safe_phone("not a phone", country="IR")),
            cart_total_minor=0,
            now=NOW,
        )
    # then
    assert (error.value.code, error.value.field) == ("INVALID", "customer")


# --- holds and releases ---------------------------------------------------------------------------


async def test_holding_twice_for_one_order_takes_the_credit_once(db: None) -> None:
    """The second hold for the order returns the first and writes nothing, even with another amount."""
    # given
    tenant = await make_tenant()
    customer = await funded_customer(tenant, 120_000)
    # when
    first = await hold(tenant, customer, 50_000)
    second = await hold(tenant, customer, 70_000)
    # then
    assert first == second == checkout.Hold(order_external_id="1042", held=50_000, available=70_000)
    assert await checkout_lines(tenant) == [("redemption", -50_000, "hold:1042")]
    assert await available(tenant, customer) == 70_000


async def test_a_hold_beyond_the_available_credit_is_refused_with_what_there_is(db: None) -> None:
    """INSUFFICIENT_CREDIT carries the available amount, and nothing is taken."""
    # given
    tenant = await make_tenant()
    customer = await funded_customer(tenant, 30_000)
    # when
    with pytest.raises(checkout.InsufficientCredit) as error:
        await hold(tenant, customer, 50_000)
    # then
    assert (error.value.code, error.value.available) == ("INSUFFICIENT_CREDIT", 30_000)
    assert await checkout_lines(tenant) == []
    assert await available(tenant, customer) == 30_000


@pytest.mark.parametrize(
    ("amount", "known", "code"),
    [(0, True, "INVALID"), (-5, True, "INVALID"), (100, False, "CUSTOMER_NOT_FOUND")],
)
async def test_a_hold_needs_a_positive_amount_and_a_known_customer(
    db: None, amount: int, known: bool, code: str
) -> None:
    """Zero and negative holds are INVALID; details matching no customer are CUSTOMER_NOT_FOUND."""
    # given
    tenant = await make_tenant()
    customer = await funded_customer(tenant)
    who = CustomerIn(external_id=customer.external_id if known else "someone-else")
    # when
    with pytest.raises(DomainError) as error:
        await checkout.hold(
            tenant_id=tenant.id, customer_in=who, order_external_id="1", amount=amount, now=NOW
        )
    # then
    assert error.value.code == code
    assert await checkout_lines(tenant) == []


async def test_two_concurrent_checkouts_cannot_spend_the_same_credit(db: None) -> None:
    """Two holds racing for credit that covers one: exactly one wins, the balance never goes negative."""
    # given
    tenant = await make_tenant()
    customer = await funded_customer(tenant, 50_000)
    # when
    outcomes = await asyncio.gather(
        hold(tenant, customer, 40_000, order="A"),
        hold(tenant, customer, 40_000, order="B"),
        return_exceptions=True,
    )
    # then
    held = [outcome for outcome in outcomes if isinstance(outcome, checkout.Hold)]
    refused = [outcome for outcome in outcomes if isinstance(outcome, checkout.InsufficientCredit)]
    assert (len(held), len(refused)) == (1, 1)
    assert held[0].available == 10_000
    assert refused[0].available == 10_000
    assert await available(tenant, customer) == 10_000
    assert len(await checkout_lines(tenant)) == 1


async def test_releasing_gives_the_hold_back_once(db: None) -> None:
    """The first release gives the hold back; the second, and an order that held nothing, give back 0."""
    # given
    tenant = await make_tenant()
    customer = await funded_customer(tenant, 120_000)
    await hold(tenant, customer, 50_000)
    # when
    first = await release(tenant)
    second = await release(tenant)
    nothing = await release(tenant, order="9999")
    # then
    assert first == checkout.Release(order_external_id="1042", released=50_000, available=120_000)
    assert second == checkout.Release(order_external_id="1042", released=0, available=120_000)
    assert nothing == checkout.Release(order_external_id="9999", released=0, available=0)
    assert await checkout_lines(tenant) == [
        ("redemption", -50_000, "hold:1042"),
        ("release", 50_000, "release:1042"),
    ]


async def test_an_order_whose_hold_was_released_can_hold_again(db: None) -> None:
    """After a release the order holds afresh; its second hold is numbered."""
    # given
    tenant = await make_tenant()
    customer = await funded_customer(tenant, 120_000)
    await hold(tenant, customer, 50_000)
    await release(tenant)
    # when
    again = await hold(tenant, customer, 20_000)
    # then
    assert again == checkout.Hold(order_external_id="1042", held=20_000, available=100_000)
    assert [key for _, _, key in await checkout_lines(tenant)] == ["hold:1042", "release:1042", "hold#2:1042"]


async def test_releasing_keeps_what_a_live_order_reports_spending(db: None) -> None:
    """Once the order event says it used the credit, a release gives back nothing of it."""
    # given
    tenant = await make_tenant()
    customer = await funded_customer(tenant, 120_000)
    await hold(tenant, customer, 50_000)
    await process(tenant, order_event("e-1", customer, status="processing", at="2026-11-22T10:00:00+03:30"))
    # when
    released = await release(tenant)
    # then
    assert released.released == 0
    assert await available(tenant, customer) == 70_000


# --- order events settling the hold ---------------------------------------------------------------


async def test_an_order_using_exactly_the_hold_changes_nothing_however_often_it_is_sent(db: None) -> None:
    """credit_used equal to the hold: the hold is the redemption; resent and later events add nothing."""
    # given
    tenant = await make_tenant()
    customer = await funded_customer(tenant, 120_000)
    await hold(tenant, customer, 50_000)
    placed = order_event("e-1", customer, status="processing", at="2026-11-22T10:00:00+03:30")
    # when
    await process(tenant, placed)
    await process(tenant, {**placed, "id": "e-1-resent"})
    await process(tenant, order_event("e-2", customer, status="completed", at="2026-11-22T11:00:00+03:30"))
    # then
    assert await checkout_lines(tenant) == [("redemption", -50_000, "hold:1042")]
    assert await available(tenant, customer) == 70_000


async def test_an_order_using_less_than_held_gives_back_the_difference(db: None) -> None:
    """credit_used below the hold: the rest goes back once (capture-adjust)."""
    # given
    tenant = await make_tenant()
    customer = await funded_customer(tenant, 120_000)
    await hold(tenant, customer, 50_000)
    # when
    await process(
        tenant,
        order_event(
            "e-1", customer, status="processing", at="2026-11-22T10:00:00+03:30", credit_used="30000"
        ),
        order_event("e-2", customer, status="completed", at="2026-11-22T11:00:00+03:30", credit_used="30000"),
    )
    # then
    assert await checkout_lines(tenant) == [
        ("redemption", -50_000, "hold:1042"),
        ("release", 20_000, "capture-adjust:1042"),
    ]
    assert await available(tenant, customer) == 90_000


async def test_an_order_using_more_than_held_redeems_the_extra(db: None) -> None:
    """credit_used above the hold: the extra is redeemed from the available credit."""
    # given
    tenant = await make_tenant()
    customer = await funded_customer(tenant, 120_000)
    await hold(tenant, customer, 30_000)
    # when
    await process(tenant, order_event("e-1", customer, status="processing", at="2026-11-22T10:00:00+03:30"))
    # then
    assert await checkout_lines(tenant) == [
        ("redemption", -30_000, "hold:1042"),
        ("redemption", -20_000, "redeem:1042"),
    ]
    assert await available(tenant, customer) == 70_000


async def test_credit_used_without_a_hold_is_redeemed_as_far_as_the_customer_has_it(db: None) -> None:
    """A platform that never holds: what is available is redeemed, never below zero, the shortfall noted."""
    # given
    tenant = await make_tenant()
    customer = await funded_customer(tenant, 30_000)
    # when
    await process(tenant, order_event("e-1", customer, status="processing", at="2026-11-22T10:00:00+03:30"))
    await process(tenant, order_event("e-2", customer, status="completed", at="2026-11-22T11:00:00+03:30"))
    # then
    assert await checkout_lines(tenant) == [("redemption", -30_000, "redeem:1042")]
    entry = await CreditEntry.get(tenant_id=tenant.id, idempotency_key="redeem:1042")
    assert "20000 more reported but not available" in entry.note
    assert entry.order_id is not None  # type: ignore[attr-defined]
    assert await available(tenant, customer) == 0


async def test_processing_on_a_late_clock_never_spends_credit_a_hold_took_meanwhile(db: None) -> None:
    """A batch that started before a checkout's hold still sees the hold: the balance never goes negative."""
    # given: 50,000 available for hours, all of it held just now for order 2000
    tenant = await make_tenant()
    customer = await make_customer(tenant)
    await ledger.grant(
        tenant_id=tenant.id,
        customer_id=customer.id,
        amount=50_000,
        kind="credit",
        idempotency_key="gift",
        available_at=NOW - timedelta(hours=2),
        now=NOW,
    )
    await hold(tenant, customer, 50_000, order="2000")
    # when: a batch whose clock reads an hour ago processes order 1042, which used 50,000 without a hold
    await process(
        tenant,
        order_event("e-1", customer, status="processing", at="2026-11-22T10:00:00+03:30"),
        now=NOW - timedelta(hours=1),
    )
    # then
    assert [key for _, _, key in await checkout_lines(tenant)] == ["hold:2000"]
    assert await available(tenant, customer) == 0


# --- orders that do not go through ----------------------------------------------------------------


async def test_a_cancelled_order_gives_its_credit_back_once(db: None) -> None:
    """Cancellation returns what the order spent; a resent cancellation and a late release add nothing."""
    # given
    tenant = await make_tenant()
    customer = await funded_customer(tenant, 120_000)
    await hold(tenant, customer, 50_000)
    await process(tenant, order_event("e-1", customer, status="processing", at="2026-11-22T10:00:00+03:30"))
    cancelled = order_event("e-2", customer, status="cancelled", at="2026-11-22T11:00:00+03:30")
    # when
    await process(tenant, cancelled)
    await process(tenant, {**cancelled, "id": "e-2-resent"})
    late_release = await release(tenant)
    # then
    assert late_release.released == 0
    assert await checkout_lines(tenant) == [
        ("redemption", -50_000, "hold:1042"),
        ("return", 50_000, "return:1042"),
    ]
    assert await available(tenant, customer) == 120_000


async def test_an_order_first_seen_cancelled_gives_its_hold_back(db: None) -> None:
    """No status change to announce, but a cancelled order spends nothing: the hold is returned."""
    # given
    tenant = await make_tenant()
    customer = await funded_customer(tenant, 120_000)
    await hold(tenant, customer, 50_000)
    # when
    await process(tenant, order_event("e-1", customer, status="cancelled", at="2026-11-22T10:00:00+03:30"))
    # then
    assert [kind for kind, _, _ in await checkout_lines(tenant)] == ["redemption", "return"]
    assert await available(tenant, customer) == 120_000


async def test_a_fully_refunded_order_gives_its_credit_back(db: None) -> None:
    """The refund path: a refund of the whole total returns the credit the order spent."""
    # given
    tenant = await make_tenant()
    customer = await funded_customer(tenant, 120_000)
    await hold(tenant, customer, 50_000)
    await process(tenant, order_event("e-1", customer, status="completed", at="2026-11-22T10:00:00+03:30"))
    refund = {
        "id": "r-1",
        "type": "order.refunded",
        "occurred_at": "2026-11-22T11:00:00+03:30",
        "data": {"order_external_id": "1042", "refund_id": "77", "amount": "1000000", "currency": "IRT"},
    }
    # when
    await process(tenant, refund)
    await process(tenant, order_event("e-2", customer, status="completed", at="2026-11-22T12:00:00+03:30"))
    # then
    assert await checkout_lines(tenant) == [
        ("redemption", -50_000, "hold:1042"),
        ("return", 50_000, "return:1042"),
    ]
    assert await available(tenant, customer) == 120_000


async def test_a_failed_payment_returns_the_credit_and_the_retried_payment_spends_it_again(db: None) -> None:
    """failed → pending → failed → processing: each round is settled once, its lines numbered."""
    # given
    tenant = await make_tenant()
    customer = await funded_customer(tenant, 120_000)
    await hold(tenant, customer, 50_000)
    statuses = ["pending", "failed", "pending", "failed", "processing"]
    # when
    for hour, status in enumerate(statuses, start=10):
        await process(
            tenant, order_event(f"e-{hour}", customer, status=status, at=f"2026-11-22T{hour}:00:00+03:30")
        )
    # then
    assert await checkout_lines(tenant) == [
        ("redemption", -50_000, "hold:1042"),
        ("return", 50_000, "return:1042"),
        ("redemption", -50_000, "redeem:1042"),
        ("return", 50_000, "return#2:1042"),
        ("redemption", -50_000, "redeem#2:1042"),
    ]
    assert await available(tenant, customer) == 70_000


async def test_credit_is_returned_before_the_orders_cashback_is_reversed(db: None) -> None:
    """Cashback spent elsewhere is taken back out of the credit the cancelled order returns."""
    # given: 50,000 spent on order 1042, which earned 10,000 cashback, spent on order 2000
    tenant = await make_tenant()
    customer = await funded_customer(tenant, 50_000)
    await hold(tenant, customer, 50_000)
    await process(tenant, order_event("e-1", customer, status="completed", at="2026-11-22T10:00:00+03:30"))
    order = await customer.orders.all().first()
    assert order is not None
    await ledger.grant(
        tenant_id=tenant.id,
        customer_id=customer.id,
        amount=10_000,
        kind="cashback",
        idempotency_key="cashback",
        available_at=NOW,
        order_id=order.id,
        now=NOW,
    )
    await hold(tenant, customer, 10_000, order="2000")
    # when
    await process(tenant, order_event("e-2", customer, status="cancelled", at="2026-11-22T11:00:00+03:30"))
    # then
    reversal = await CreditEntry.get(tenant_id=tenant.id, kind="reversal")
    assert reversal.amount == -10_000
    assert await available(tenant, customer) == 40_000
