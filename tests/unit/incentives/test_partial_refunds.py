"""Partial refunds take back cashback in proportion, rounded down, once per refund, never below zero."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from tortoise.transactions import in_transaction

from domain.commerce.models import Order, Refund
from domain.customers.service import CustomerIn
from domain.events.domain_events import OrderRefunded
from domain.incentives import checkout, ledger, refunds
from domain.incentives.models import CreditAccount, CreditEntry
from domain.tenancy.models import Tenant
from tests.support.automation import NOW, make_customer, make_order, make_tenant

WEEK = timedelta(days=7)


async def _cashback(
    tenant: Tenant, customer_id, order: Order, amount: int, *, pending: bool = False
) -> CreditEntry:
    async with in_transaction():
        return await ledger.grant(
            tenant_id=tenant.id,
            customer_id=customer_id,
            amount=amount,
            kind=ledger.CASHBACK,
            idempotency_key=f"run:{order.id}:{amount}",
            available_at=NOW + WEEK if pending else NOW,
            order_id=order.id,
            now=NOW,
        )


async def _refund(tenant: Tenant, order: Order, refund_id: str, amount: int) -> OrderRefunded:
    """Record the store's refund as processing does, and the event it announces."""
    await Refund.create(
        tenant_id=tenant.id, order_id=order.id, external_id=refund_id, amount=amount, refunded_at=NOW
    )
    order.refunded_total += amount
    await order.save(update_fields=["refunded_total"])
    return OrderRefunded(
        tenant_id=tenant.id,
        order_id=order.id,
        customer_id=order.customer_id,  # type: ignore[attr-defined]
        refund_id=refund_id,
        amount=amount,
        fully_refunded=order.refunded_total >= order.total,
        occurred_at=NOW + timedelta(hours=1),
    )


async def _handle(*events: OrderRefunded) -> None:
    async with in_transaction():
        assert await refunds.handle(events, now=NOW + timedelta(hours=1)) == []


async def test_a_partial_refund_takes_back_cashback_in_proportion_rounded_down(db: None) -> None:
    """Cashback of 33,333 on a base of 950,000 (1,000,000 less 50,000 shipping): refunding 100,000 takes
    floor(33,333 × 100,000 / 950,000) = 3,508, with the refund's key."""
    # given
    tenant = await make_tenant()
    customer = await make_customer(tenant)
    order = await make_order(tenant, customer, total=1_000_000, shipping_total=50_000)
    grant = await _cashback(tenant, customer.id, order, 33_333)
    event = await _refund(tenant, order, "r-1", 100_000)
    # when
    await _handle(event)
    # then
    line = await CreditEntry.get(tenant_id=tenant.id, kind=ledger.REVERSAL)
    assert (line.amount, line.reverses_id, line.idempotency_key) == (  # type: ignore[attr-defined]
        -3_508,
        grant.id,
        f"refund:{order.external_id}:r-1",
    )
    account = await CreditAccount.get(customer_id=customer.id)
    assert account.available == 33_333 - 3_508


async def test_the_same_refund_twice_takes_back_once(db: None) -> None:
    """The refund handled again, in one batch or two, writes one reversal."""
    # given
    tenant = await make_tenant()
    customer = await make_customer(tenant)
    order = await make_order(tenant, customer, total=200_000, shipping_total=0)
    await _cashback(tenant, customer.id, order, 10_000)
    event = await _refund(tenant, order, "r-7", 50_000)
    # when
    await _handle(event, event)
    await _handle(event)
    # then
    amounts = await CreditEntry.filter(tenant_id=tenant.id, kind=ledger.REVERSAL).values_list(
        "amount", flat=True
    )
    assert amounts == [-2_500]


async def test_partial_refunds_never_take_back_more_than_was_granted(db: None) -> None:
    """Refunds of 60 % and then 60 % of the base (the second includes shipping) take 600 and then only
    the 400 left; then the full-refund path finds nothing more to take."""
    # given
    tenant = await make_tenant()
    customer = await make_customer(tenant)
    order = await make_order(tenant, customer, total=110_000, shipping_total=10_000)
    await _cashback(tenant, customer.id, order, 1_000)
    first = await _refund(tenant, order, "r-a", 60_000)
    second = await _refund(tenant, order, "r-b", 50_000 - 1)
    # when
    await _handle(first)
    await _handle(second)
    async with in_transaction():
        full = await ledger.reverse_order_grants(
            tenant_id=tenant.id, order_id=order.id, reason="order refunded", now=NOW + timedelta(hours=2)
        )
    # then
    amounts = await CreditEntry.filter(tenant_id=tenant.id, kind=ledger.REVERSAL).order_by("created_at")
    assert [line.amount for line in amounts] == [-600, -400]
    assert full == []
    assert await ledger.balances(
        tenant_id=tenant.id, customer_id=customer.id, now=NOW + WEEK
    ) == ledger.Balances(0, 0)


async def test_a_full_refund_after_a_partial_one_takes_only_the_rest(db: None) -> None:
    """A partial refund took 250 of 1000; the order's full refund (settlement's path) takes the 750 left."""
    # given
    tenant = await make_tenant()
    customer = await make_customer(tenant)
    order = await make_order(tenant, customer, total=400_000, shipping_total=0)
    await _cashback(tenant, customer.id, order, 1_000)
    await _handle(await _refund(tenant, order, "r-1", 100_000))
    # when
    async with in_transaction():
        full = await ledger.reverse_order_grants(
            tenant_id=tenant.id, order_id=order.id, reason="order refunded", now=NOW + timedelta(hours=2)
        )
    # then
    assert [line.amount for line in full] == [-750]


async def test_a_refund_of_spent_cashback_takes_only_what_is_left(db: None) -> None:
    """The customer spent 900 of 1000 cashback: a refund asking 500 takes the 100 left, says so, and
    the balance stays at zero, never below."""
    # given
    tenant = await make_tenant()
    customer = await make_customer(tenant)
    order = await make_order(tenant, customer, total=100_000, shipping_total=0)
    await _cashback(tenant, customer.id, order, 1_000)
    async with in_transaction():
        await checkout.hold(
            tenant_id=tenant.id,
            customer_in=CustomerIn(external_id=customer.external_id),
            order_external_id="next-order",
            amount=900,
            now=NOW + timedelta(minutes=5),
        )
    event = await _refund(tenant, order, "r-1", 50_000)
    # when
    await _handle(event)
    # then
    line = await CreditEntry.get(tenant_id=tenant.id, kind=ledger.REVERSAL)
    assert line.amount == -100
    assert "400 already spent, not reversed" in line.note
    account = await CreditAccount.get(customer_id=customer.id)
    assert (account.available, account.pending) == (0, 0)


async def test_pending_cashback_is_reduced_and_matures_reduced(db: None) -> None:
    """Cashback not yet spendable is reduced in full proportion; the reversal matures with it."""
    # given
    tenant = await make_tenant()
    customer = await make_customer(tenant)
    order = await make_order(tenant, customer, total=100_000, shipping_total=0)
    grant = await _cashback(tenant, customer.id, order, 1_000, pending=True)
    # when
    await _handle(await _refund(tenant, order, "r-1", 30_000))
    # then
    line = await CreditEntry.get(tenant_id=tenant.id, kind=ledger.REVERSAL)
    assert (line.amount, line.available_at) == (-300, grant.available_at)
    scope = dict(tenant_id=tenant.id, customer_id=customer.id)
    assert await ledger.balances(**scope, now=NOW) == ledger.Balances(available=0, pending=700)
    assert await ledger.balances(**scope, now=NOW + WEEK) == ledger.Balances(available=700, pending=0)


async def test_full_refunds_orders_without_cashback_and_zero_refunds_take_nothing_here(db: None) -> None:
    """A full refund is settlement's; an order that earned no cashback and a refund that rounds to 0
    write nothing."""
    # given
    tenant = await make_tenant()
    customer = await make_customer(tenant)
    rewarded = await make_order(tenant, customer, total=1_000_000, shipping_total=0)
    plain = await make_order(tenant, customer, total=50_000, shipping_total=0)
    await _cashback(tenant, customer.id, rewarded, 10)
    tiny = await _refund(tenant, rewarded, "r-tiny", 99_999)  # 10 × 99,999 / 1,000,000 rounds to 0
    nothing_earned = await _refund(tenant, plain, "r-plain", 10_000)
    everything = await _refund(tenant, plain, "r-rest", 40_000)
    # when
    await _handle(tiny, nothing_earned, everything)
    # then
    assert everything.fully_refunded is True
    assert await CreditEntry.filter(tenant_id=tenant.id, kind=ledger.REVERSAL).count() == 0


async def test_a_refund_recorded_before_the_grant_made_the_base_smaller(db: None) -> None:
    """Refunded 500,000 of 1,000,000 before the cashback (50 on the 500,000 left) was granted: a later
    refund of 250,000 takes floor(50 × 250,000 / 500,000) = 25, half of what is left."""
    # given
    tenant = await make_tenant()
    customer = await make_customer(tenant)
    order = await make_order(tenant, customer, total=1_000_000, shipping_total=0)
    await _refund(tenant, order, "r-early", 500_000)
    await asyncio.sleep(0.01)
    await _cashback(tenant, customer.id, order, 50)
    await asyncio.sleep(0.01)
    later = await _refund(tenant, order, "r-late", 250_000)
    # when
    await _handle(later)
    # then
    line = await CreditEntry.get(tenant_id=tenant.id, kind=ledger.REVERSAL)
    assert line.amount == -25


async def test_two_grants_of_one_order_are_each_reversed_with_their_own_key(db: None) -> None:
    """Two journeys each granted cashback for the order: each loses its proportion, with keys
    refund:<order>:<refund> and refund#2:<order>:<refund>."""
    # given
    tenant = await make_tenant()
    customer = await make_customer(tenant)
    order = await make_order(tenant, customer, total=100_000, shipping_total=0)
    await _cashback(tenant, customer.id, order, 1_000)
    await _cashback(tenant, customer.id, order, 3_000)
    # when
    await _handle(await _refund(tenant, order, "9", 10_000))
    # then
    lines = await CreditEntry.filter(tenant_id=tenant.id, kind=ledger.REVERSAL).order_by("idempotency_key")
    assert [(line.idempotency_key, line.amount) for line in lines] == [
        (f"refund#2:{order.external_id}:9", -300),
        (f"refund:{order.external_id}:9", -100),
    ]
