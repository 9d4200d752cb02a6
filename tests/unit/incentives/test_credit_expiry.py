"""Credit expiry: what is left of a grant leaves the balance once, the day after it expires, spends using
the soonest-expiring credit first; and the credit expiring in a window, per customer."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

from tortoise import Tortoise
from tortoise.transactions import in_transaction

from domain.customers.service import CustomerIn
from domain.incentives import checkout, expiry, ledger
from domain.incentives.models import CreditAccount, CreditEntry
from tests.support.automation import make_customer, make_order, make_tenant

TEHRAN = "Asia/Tehran"
GRANTED = datetime(2026, 10, 1, 8, 0, tzinfo=UTC)
DAY = timedelta(days=1)


async def _grant(
    tenant_id, customer_id, amount: int, key: str, *, expires_at: datetime | None
) -> CreditEntry:
    async with in_transaction():
        return await ledger.grant(
            tenant_id=tenant_id,
            customer_id=customer_id,
            amount=amount,
            kind=ledger.CREDIT,
            idempotency_key=key,
            available_at=GRANTED,
            expires_at=expires_at,
            now=GRANTED,
        )


async def _spend(tenant, customer, amount: int, order: str, at: datetime) -> None:
    async with in_transaction():
        await checkout.hold(
            tenant_id=tenant.id,
            customer_in=CustomerIn(external_id=customer.external_id),
            order_external_id=order,
            amount=amount,
            now=at,
        )


async def test_unspent_credit_expires_the_day_after_its_expiry_day_in_the_stores_timezone(db: None) -> None:
    """A grant expiring on 20 October (Tehran) is spendable all that day; the pass of 21 October takes it,
    with one expiry line pointing at the grant, and the cached balance follows."""
    # given
    tenant = await make_tenant()
    customer = await make_customer(tenant)
    expires_at = datetime(2026, 10, 20, 15, 0, tzinfo=UTC)  # 18:30 in Tehran on the 20th
    grant = await _grant(tenant.id, customer.id, 5000, "gift", expires_at=expires_at)
    # when
    same_day = await expiry.expire_due(
        tenant_id=tenant.id, day=date(2026, 10, 20), timezone=TEHRAN, now=expires_at + timedelta(hours=2)
    )
    next_day = await expiry.expire_due(
        tenant_id=tenant.id,
        day=date(2026, 10, 21),
        timezone=TEHRAN,
        now=datetime(2026, 10, 20, 21, tzinfo=UTC),
    )
    # then
    assert same_day == expiry.ExpiryPass(grants=0, customers=0, amount=0)
    assert next_day == expiry.ExpiryPass(grants=1, customers=1, amount=5000)
    line = await CreditEntry.get(tenant_id=tenant.id, kind=ledger.EXPIRY)
    assert (line.amount, line.reverses_id, line.idempotency_key) == (-5000, grant.id, f"expiry:{grant.id}")  # type: ignore[attr-defined]
    account = await CreditAccount.get(customer_id=customer.id)
    assert (account.available, account.pending) == (0, 0)


async def test_a_spend_uses_the_soonest_expiring_credit_first(db: None) -> None:
    """Of 3000 expiring soon and 4000 expiring later, a spend of 3500 used all of the first and 500 of
    the second: the first pass expires nothing, the second takes the 3500 left."""
    # given
    tenant = await make_tenant()
    customer = await make_customer(tenant)
    soon = datetime(2026, 10, 10, 12, tzinfo=UTC)
    later = datetime(2026, 11, 10, 12, tzinfo=UTC)
    await _grant(tenant.id, customer.id, 4000, "later", expires_at=later)
    await _grant(tenant.id, customer.id, 3000, "soon", expires_at=soon)
    await _spend(tenant, customer, 3500, "1001", GRANTED + DAY)
    # when
    first = await expiry.expire_due(
        tenant_id=tenant.id, day=date(2026, 10, 11), timezone=TEHRAN, now=soon + DAY
    )
    second = await expiry.expire_due(
        tenant_id=tenant.id, day=date(2026, 11, 11), timezone=TEHRAN, now=later + DAY
    )
    # then
    assert (first.grants, first.amount) == (1, 0)
    assert (second.grants, second.amount) == (1, 3500)
    assert await ledger.balances(
        tenant_id=tenant.id, customer_id=customer.id, now=later + DAY
    ) == ledger.Balances(0, 0)


async def test_credit_that_never_expires_is_spent_last(db: None) -> None:
    """A spend smaller than the expiring grant leaves never-expiring credit whole: only the expiring
    grant's rest leaves, and the balance keeps the rest."""
    # given
    tenant = await make_tenant()
    customer = await make_customer(tenant)
    await _grant(tenant.id, customer.id, 10_000, "forever", expires_at=None)
    await _grant(tenant.id, customer.id, 2000, "soon", expires_at=GRANTED + 5 * DAY)
    await _spend(tenant, customer, 1500, "1002", GRANTED + DAY)
    # when
    done = await expiry.expire_due(
        tenant_id=tenant.id, day=(GRANTED + 7 * DAY).date(), timezone=TEHRAN, now=GRANTED + 7 * DAY
    )
    # then
    assert done.amount == 500
    account = await CreditAccount.get(customer_id=customer.id)
    assert account.available == 10_000


async def test_running_the_pass_again_or_twice_at_once_expires_each_grant_once(db: None) -> None:
    """Two passes at once and a third later write one expiry line per grant, and the balance never
    goes below zero."""
    # given
    tenant = await make_tenant()
    customers = [await make_customer(tenant) for _ in range(5)]
    for index, customer in enumerate(customers):
        await _grant(tenant.id, customer.id, 1000 + index, f"g{index}", expires_at=GRANTED + DAY)
    day, now = (GRANTED + 3 * DAY).date(), GRANTED + 3 * DAY
    # when
    results = await asyncio.gather(
        *(
            expiry.expire_due(tenant_id=tenant.id, day=day, timezone=TEHRAN, now=now, chunk=2)
            for _ in range(2)
        )
    )
    again = await expiry.expire_due(tenant_id=tenant.id, day=day, timezone=TEHRAN, now=now)
    # then
    assert sum(result.grants for result in results) == 5
    assert sum(result.amount for result in results) == sum(1000 + index for index in range(5))
    assert again.grants == 0
    assert await CreditEntry.filter(tenant_id=tenant.id, kind=ledger.EXPIRY).count() == 5
    assert await CreditAccount.filter(tenant_id=tenant.id, available__lt=0).count() == 0


async def test_a_fully_spent_grant_expires_with_nothing_left_and_is_not_looked_at_again(db: None) -> None:
    """A grant spent in full gets an expiry line of 0 (its expiry is recorded), the balance is untouched."""
    # given
    tenant = await make_tenant()
    customer = await make_customer(tenant)
    await _grant(tenant.id, customer.id, 800, "spent", expires_at=GRANTED + 2 * DAY)
    await _spend(tenant, customer, 800, "1003", GRANTED + DAY)
    # when
    done = await expiry.expire_due(
        tenant_id=tenant.id, day=(GRANTED + 4 * DAY).date(), timezone=TEHRAN, now=GRANTED + 4 * DAY
    )
    again = await expiry.expire_due(
        tenant_id=tenant.id, day=(GRANTED + 5 * DAY).date(), timezone=TEHRAN, now=GRANTED + 5 * DAY
    )
    # then
    assert (done.grants, done.customers, done.amount) == (1, 0, 0)
    line = await CreditEntry.get(tenant_id=tenant.id, kind=ledger.EXPIRY)
    assert (line.amount, line.note) == (0, "expired; nothing was left of it")
    assert again.grants == 0


async def test_reversed_credit_is_not_expired_again(db: None) -> None:
    """A cashback grant cancelled by its order's refund has nothing left to expire."""
    # given
    tenant = await make_tenant()
    customer = await make_customer(tenant)
    order = await make_order(tenant, customer)
    async with in_transaction():
        await ledger.grant(
            tenant_id=tenant.id,
            customer_id=customer.id,
            amount=1200,
            kind=ledger.CASHBACK,
            idempotency_key="cb",
            available_at=GRANTED,
            expires_at=GRANTED + DAY,
            order_id=order.id,
            now=GRANTED,
        )
        await ledger.reverse_order_grants(
            tenant_id=tenant.id, order_id=order.id, reason="order refunded", now=GRANTED + DAY / 2
        )
    # when
    done = await expiry.expire_due(
        tenant_id=tenant.id, day=(GRANTED + 3 * DAY).date(), timezone=TEHRAN, now=GRANTED + 3 * DAY
    )
    # then
    assert (done.grants, done.amount) == (1, 0)


async def test_expiring_answers_each_customers_unspent_credit_in_the_window(db: None) -> None:
    """Per customer: the unspent part of what expires in [start, end) and the soonest expiry; credit
    expiring outside the window, spent in full, or of another store is left out."""
    # given
    tenant, other = await make_tenant(), await make_tenant()
    alice, bob, carol = [await make_customer(tenant) for _ in range(3)]
    stranger = await make_customer(other)
    start, end = datetime(2026, 10, 15, tzinfo=UTC), datetime(2026, 10, 22, tzinfo=UTC)
    await _grant(tenant.id, alice.id, 1000, "a1", expires_at=start + DAY)
    await _grant(tenant.id, alice.id, 700, "a2", expires_at=start + 3 * DAY)
    await _grant(tenant.id, alice.id, 900, "a3", expires_at=end)  # outside: end is excluded
    await _grant(tenant.id, bob.id, 600, "b1", expires_at=start + 2 * DAY)
    await _spend(tenant, bob, 600, "2001", GRANTED + DAY)
    await _grant(tenant.id, carol.id, 400, "c1", expires_at=start)
    await _spend(tenant, carol, 100, "2002", GRANTED + DAY)
    await _grant(other.id, stranger.id, 999, "s1", expires_at=start + DAY)
    # when
    found = await expiry.expiring(
        Tortoise.get_connection("default"), tenant_id=tenant.id, start=start, end=end, now=GRANTED + 2 * DAY
    )
    # then
    assert sorted((item.customer_id, item.amount, item.expires_at) for item in found) == sorted(
        [(alice.id, 1700, start + DAY), (carol.id, 300, start)]
    )


async def test_expiring_on_a_store_with_no_credit_is_empty(db: None) -> None:
    """No grants, no answer; an empty window answers nothing either."""
    # given
    tenant = await make_tenant()
    customer = await make_customer(tenant)
    await _grant(tenant.id, customer.id, 100, "g", expires_at=GRANTED + DAY)
    connection = Tortoise.get_connection("default")
    # when
    empty_store = await expiry.expiring(
        connection, tenant_id=(await make_tenant()).id, start=GRANTED, end=GRANTED + 9 * DAY
    )
    empty_window = await expiry.expiring(
        connection, tenant_id=tenant.id, start=GRANTED + DAY, end=GRANTED + DAY, now=GRANTED
    )
    # then
    assert empty_store == []
    assert empty_window == []
