"""The merchant wallet: an append-only ledger whose sums the cached row always equals, never below zero,
every write once per key — also under 20 concurrent callers."""

from __future__ import annotations

import asyncio
from uuid import uuid4

import pytest
from tortoise import connections
from tortoise.transactions import in_transaction

from domain.billing import wallet
from domain.billing.errors import InsufficientFunds
from domain.billing.models import WalletEntry, WalletReservation
from domain.errors import DomainError
from domain.tenancy import service as tenancy
from domain.tenancy.models import Tenant


async def empty_store(name: str = "Ketab") -> Tenant:
    """A store whose wallet has never been used (billing tests start from zero)."""
    return await tenancy.create_tenant(tenant_in=tenancy.TenantIn(name=name, currency="IRR"))


async def assert_sums_match(tenant: Tenant) -> None:
    cached = await wallet.balance(tenant.id)
    assert await wallet.ledger_sums(tenant.id) == cached


async def test_a_new_wallet_is_empty(db: None) -> None:
    """A store that never paid has zero balance, zero reserved and zero available."""
    # given
    tenant = await empty_store()
    # when
    now = await wallet.balance(tenant.id)
    # then
    assert now == wallet.WalletBalance(balance=0, reserved=0, available=0)


async def test_top_up_credits_once_per_key(db: None) -> None:
    """A repeated top-up key returns the first entry and credits nothing more."""
    # given
    tenant = await empty_store()
    # when
    first = await wallet.top_up(tenant.id, amount=100_000, key="zp:A1", reference="zarinpal:A1")
    second = await wallet.top_up(tenant.id, amount=100_000, key="zp:A1", reference="zarinpal:A1")
    # then
    assert second.id == first.id
    assert first.kind == "top_up" and first.reference == "zarinpal:A1"
    assert (await wallet.balance(tenant.id)).balance == 100_000
    assert await WalletEntry.filter(tenant_id=tenant.id).count() == 1
    await assert_sums_match(tenant)


async def test_twenty_concurrent_callers_with_one_key_write_one_entry(db: None) -> None:
    """20 top-ups racing with the same key (each in its own transaction) credit once."""
    # given
    tenant = await empty_store()
    # when
    entries = await asyncio.gather(
        *(wallet.top_up(tenant.id, amount=5_000, key="race", reference="test:race") for _ in range(20))
    )
    # then
    assert {entry.id for entry in entries} == {entries[0].id}
    assert (await wallet.balance(tenant.id)).balance == 5_000
    await assert_sums_match(tenant)


async def test_twenty_concurrent_charges_with_one_key_charge_once(db: None) -> None:
    """20 racing charges of one SMS key take the money once."""
    # given
    tenant = await empty_store()
    await wallet.top_up(tenant.id, amount=10_000, key="t", reference="test")
    # when
    entries = await asyncio.gather(
        *(wallet.charge(tenant.id, amount=1_500, key="sms:1", kind="sms") for _ in range(20))
    )
    # then
    assert len({entry.id for entry in entries}) == 1
    assert (await wallet.balance(tenant.id)).balance == 8_500
    await assert_sums_match(tenant)


async def test_concurrent_distinct_charges_never_take_the_wallet_below_zero(db: None) -> None:
    """30 different charges of 1,000 race for a wallet of 10,000: exactly 10 are paid, 20 refused."""
    # given
    tenant = await empty_store()
    await wallet.top_up(tenant.id, amount=10_000, key="t", reference="test")

    async def attempt(number: int) -> bool:
        try:
            await wallet.charge(tenant.id, amount=1_000, key=f"sms:{number}", kind="sms")
        except InsufficientFunds:
            return False
        return True

    # when
    paid = await asyncio.gather(*(attempt(number) for number in range(30)))
    # then
    assert sum(paid) == 10
    assert await wallet.balance(tenant.id) == wallet.WalletBalance(balance=0, reserved=0, available=0)
    await assert_sums_match(tenant)


async def test_a_charge_the_wallet_cannot_pay_says_what_was_needed_and_writes_nothing(db: None) -> None:
    """InsufficientFunds carries needed and available; the ledger is unchanged."""
    # given
    tenant = await empty_store()
    await wallet.top_up(tenant.id, amount=1_000, key="t", reference="test")
    # when
    with pytest.raises(InsufficientFunds) as refused:
        await wallet.charge(tenant.id, amount=1_500, key="sms:1", kind="sms")
    # then
    assert refused.value.code == "INSUFFICIENT_FUNDS"
    assert (refused.value.needed, refused.value.available) == (1_500, 1_000)
    assert await WalletEntry.filter(tenant_id=tenant.id).count() == 1
    assert (await wallet.balance(tenant.id)).balance == 1_000


async def test_a_reservation_sets_money_aside_and_charges_consume_it_first(db: None) -> None:
    """Reserved money leaves available; a charge under the reservation takes it from there, then from
    the available balance; the release frees only what is left."""
    # given
    tenant = await empty_store()
    await wallet.top_up(tenant.id, amount=10_000, key="t", reference="test")
    # when
    await wallet.reserve(tenant.id, amount=4_000, key="campaign:1")
    reserved = await wallet.balance(tenant.id)
    await wallet.charge(tenant.id, amount=3_000, key="sms:a", kind="sms", reservation_key="campaign:1")
    await wallet.charge(tenant.id, amount=2_000, key="sms:b", kind="sms", reservation_key="campaign:1")
    after_charges = await wallet.balance(tenant.id)
    released = await wallet.release(tenant.id, key="campaign:1")
    # then
    assert reserved == wallet.WalletBalance(balance=10_000, reserved=4_000, available=6_000)
    # 3,000 + 1,000 from the reservation, 1,000 from the available balance
    assert after_charges == wallet.WalletBalance(balance=5_000, reserved=0, available=5_000)
    assert released is None, "nothing was left to release"
    assert (await WalletReservation.get(tenant_id=tenant.id, key="campaign:1")).remaining == 0
    await assert_sums_match(tenant)


async def test_release_frees_what_is_left_once(db: None) -> None:
    """A release gives back the remainder; repeating it returns the same line and frees nothing more."""
    # given
    tenant = await empty_store()
    await wallet.top_up(tenant.id, amount=10_000, key="t", reference="test")
    await wallet.reserve(tenant.id, amount=4_000, key="campaign:1")
    await wallet.charge(tenant.id, amount=1_500, key="sms:a", kind="sms", reservation_key="campaign:1")
    # when
    first = await wallet.release(tenant.id, key="campaign:1")
    second = await wallet.release(tenant.id, key="campaign:1")
    # then
    assert first is not None and second is not None and first.id == second.id
    assert first.amount == 2_500 and first.reserved_delta == -2_500
    assert await wallet.balance(tenant.id) == wallet.WalletBalance(balance=8_500, reserved=0, available=8_500)
    assert await wallet.release(tenant.id, key="never-made") is None
    await assert_sums_match(tenant)


async def test_a_reservation_larger_than_available_is_refused(db: None) -> None:
    """reserve raises InsufficientFunds when available < amount, and reserves nothing."""
    # given
    tenant = await empty_store()
    await wallet.top_up(tenant.id, amount=5_000, key="t", reference="test")
    await wallet.reserve(tenant.id, amount=3_000, key="r1")
    # when
    with pytest.raises(InsufficientFunds) as refused:
        await wallet.reserve(tenant.id, amount=2_001, key="r2")
    # then
    assert (refused.value.needed, refused.value.available) == (2_001, 2_000)
    assert not await WalletReservation.filter(tenant_id=tenant.id, key="r2").exists()
    await assert_sums_match(tenant)


async def test_reserved_money_cannot_be_charged_by_other_work(db: None) -> None:
    """A charge without the reservation's key sees only the available balance."""
    # given
    tenant = await empty_store()
    await wallet.top_up(tenant.id, amount=5_000, key="t", reference="test")
    await wallet.reserve(tenant.id, amount=4_000, key="campaign:1")
    # when / then
    with pytest.raises(InsufficientFunds):
        await wallet.charge(tenant.id, amount=1_500, key="run:1", kind="journey_run")
    await wallet.charge(tenant.id, amount=1_000, key="run:2", kind="journey_run")
    assert await wallet.balance(tenant.id) == wallet.WalletBalance(balance=4_000, reserved=4_000, available=0)


async def test_refund_gives_a_charge_back_once(db: None) -> None:
    """A refunded charge returns its amount once; refunding an unknown key gives nothing."""
    # given
    tenant = await empty_store()
    await wallet.top_up(tenant.id, amount=5_000, key="t", reference="test")
    await wallet.charge(tenant.id, amount=3_000, key="sms:m1", kind="sms", unit_price=1_500, quantity=2)
    # when
    first = await wallet.refund(tenant.id, charge_key="sms:m1")
    second = await wallet.refund(tenant.id, charge_key="sms:m1")
    # then
    assert first is not None and second is not None and first.id == second.id
    assert first.kind == "refund" and first.amount == 3_000 and first.charge_kind == "sms"
    assert (await wallet.balance(tenant.id)).balance == 5_000
    assert await wallet.refund(tenant.id, charge_key="sms:unknown") is None
    await assert_sums_match(tenant)


async def test_a_charge_records_the_price_it_used(db: None) -> None:
    """unit_price and quantity stay on the line, so a later tariff never re-prices it."""
    # given
    tenant = await empty_store()
    await wallet.top_up(tenant.id, amount=5_000, key="t", reference="test")
    # when
    entry = await wallet.charge(
        tenant.id, amount=3_000, key="sms:m1", kind="sms", unit_price=1_500, quantity=2
    )
    # then
    stored = await WalletEntry.get(id=entry.id)
    assert (stored.charge_kind, stored.unit_price, stored.quantity, stored.balance_delta) == (
        "sms",
        1_500,
        2,
        -3_000,
    )


@pytest.mark.parametrize("amount", [0, -1, 10**15 + 1, True, 1.5])
async def test_amounts_out_of_range_are_refused(db: None, amount: object) -> None:
    """Zero, negative, huge, boolean and fractional amounts raise INVALID_AMOUNT and write nothing."""
    # given
    tenant = await empty_store()
    # when / then
    for call in (
        lambda: wallet.top_up(tenant.id, amount=amount, key="k", reference="r"),  # type: ignore[arg-type]
        lambda: wallet.reserve(tenant.id, amount=amount, key="k"),  # type: ignore[arg-type]
        lambda: wallet.charge(tenant.id, amount=amount, key="k", kind="sms"),  # type: ignore[arg-type]
    ):
        with pytest.raises(DomainError) as refused:
            await call()
        assert refused.value.code == "INVALID_AMOUNT" and refused.value.field == "amount"
    assert not await WalletEntry.filter(tenant_id=tenant.id).exists()


@pytest.mark.parametrize("key", ["", "k" * 201, "a\x00b", "line\nbreak"])
async def test_bad_keys_are_refused(db: None, key: str) -> None:
    """Empty, 201-character, NUL and control-character keys raise a typed error naming the key."""
    # given
    tenant = await empty_store()
    # when
    with pytest.raises(DomainError) as refused:
        await wallet.top_up(tenant.id, amount=1, key=key, reference="r")
    # then
    assert refused.value.field == "key"
    assert not await WalletEntry.filter(tenant_id=tenant.id).exists()


async def test_a_key_reused_for_another_kind_of_line_is_refused(db: None) -> None:
    """A top-up key cannot later name a charge: KEY_REUSED, nothing written."""
    # given
    tenant = await empty_store()
    await wallet.top_up(tenant.id, amount=5_000, key="k", reference="r")
    # when
    with pytest.raises(DomainError) as refused:
        await wallet.charge(tenant.id, amount=1_000, key="k", kind="sms")
    # then
    assert refused.value.code == "KEY_REUSED"
    assert (await wallet.balance(tenant.id)).balance == 5_000


async def test_an_unknown_charge_kind_is_refused(db: None) -> None:
    """Only sms, journey_run and subscription are charges."""
    # given
    tenant = await empty_store()
    await wallet.top_up(tenant.id, amount=5_000, key="t", reference="r")
    # when / then
    with pytest.raises(DomainError) as refused:
        await wallet.charge(tenant.id, amount=1_000, key="c", kind="coffee")
    assert refused.value.code == "INVALID_KIND"


async def test_an_unknown_store_has_no_wallet_to_write(db: None) -> None:
    """Writing to a store that does not exist is NOT_FOUND."""
    # when / then
    with pytest.raises(DomainError) as refused:
        await wallet.top_up(uuid4(), amount=1_000, key="k", reference="r")
    assert refused.value.code == "NOT_FOUND"


async def test_stores_keep_their_own_wallets_and_keys(db: None) -> None:
    """One key in two stores is two entries; a charge in one store never touches the other."""
    # given
    ketab, gol = await empty_store("Ketab"), await empty_store("Gol")
    # when
    await wallet.top_up(ketab.id, amount=5_000, key="same", reference="r")
    await wallet.top_up(gol.id, amount=7_000, key="same", reference="r")
    await wallet.charge(ketab.id, amount=1_000, key="sms:1", kind="sms")
    # then
    assert (await wallet.balance(ketab.id)).balance == 4_000
    assert (await wallet.balance(gol.id)).balance == 7_000
    assert await wallet.refund(gol.id, charge_key="sms:1") is None


async def test_writes_inside_a_caller_transaction_roll_back_with_it(db: None) -> None:
    """With the caller's connection, a failure after the write leaves nothing behind."""
    # given
    tenant = await empty_store()

    # when
    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        async with in_transaction() as connection:
            await wallet.top_up(tenant.id, amount=5_000, key="k", reference="r", connection=connection)
            assert (await wallet.balance(tenant.id, connection=connection)).balance == 5_000
            raise Boom
    # then
    assert (await wallet.balance(tenant.id)).balance == 0
    assert not await WalletEntry.filter(tenant_id=tenant.id).exists()


async def test_adjustments_add_or_take_within_the_available_balance(db: None) -> None:
    """An admin adjustment may add or take, once per key, never below zero."""
    # given
    tenant = await empty_store()
    await wallet.adjust(tenant.id, amount=3_000, key="adj:1", note="goodwill")
    # when
    await wallet.adjust(tenant.id, amount=-1_000, key="adj:2", note="correction")
    await wallet.adjust(tenant.id, amount=-1_000, key="adj:2", note="correction")
    # then
    assert (await wallet.balance(tenant.id)).balance == 2_000
    with pytest.raises(InsufficientFunds):
        await wallet.adjust(tenant.id, amount=-2_001, key="adj:3", note="too much")
    with pytest.raises(DomainError):
        await wallet.adjust(tenant.id, amount=0, key="adj:4", note="nothing")
    await assert_sums_match(tenant)


async def test_many_charges_are_written_in_one_statement_all_or_nothing(db: None) -> None:
    """charge_many writes 1,000 charges at once, skips those charged before, and refuses the whole set
    when the wallet cannot pay it."""
    # given
    tenant = await empty_store()
    await wallet.top_up(tenant.id, amount=1_000 * 1_500 + 500, key="t", reference="r")
    items = [
        wallet.ChargeItem(key=f"sms:{n}", amount=1_500, quantity=1, unit_price=1_500) for n in range(1_000)
    ]
    # when
    async with in_transaction() as connection:
        charged = await wallet.charge_many(connection, tenant.id, items, kind="sms")
    async with in_transaction() as connection:
        again = await wallet.charge_many(connection, tenant.id, items, kind="sms")
    # then
    assert (charged, again) == (1_500_000, 0)
    assert await WalletEntry.filter(tenant_id=tenant.id, kind="charge").count() == 1_000
    assert (await wallet.balance(tenant.id)).balance == 500
    with pytest.raises(InsufficientFunds):
        async with in_transaction() as connection:
            await wallet.charge_many(
                connection,
                tenant.id,
                [wallet.ChargeItem(key="sms:x", amount=300), wallet.ChargeItem(key="sms:y", amount=300)],
                kind="sms",
            )
    assert (await wallet.balance(tenant.id)).balance == 500
    await assert_sums_match(tenant)


async def test_many_charges_consume_a_reservation_first(db: None) -> None:
    """Under a reservation, charge_many takes what is left of it, then the available balance."""
    # given
    tenant = await empty_store()
    await wallet.top_up(tenant.id, amount=10_000, key="t", reference="r")
    await wallet.reserve(tenant.id, amount=2_500, key="campaign:1")
    items = [wallet.ChargeItem(key=f"sms:{n}", amount=1_000) for n in range(3)]
    # when
    async with in_transaction() as connection:
        await wallet.charge_many(connection, tenant.id, items, kind="sms", reservation_key="campaign:1")
    # then
    assert await wallet.balance(tenant.id) == wallet.WalletBalance(balance=7_000, reserved=0, available=7_000)
    assert (await WalletReservation.get(tenant_id=tenant.id, key="campaign:1")).remaining == 0
    await assert_sums_match(tenant)


async def test_the_database_itself_refuses_a_wallet_below_zero(db: None) -> None:
    """The CHECK constraint stops any writer that bypasses the service."""
    # given
    tenant = await empty_store()
    await wallet.top_up(tenant.id, amount=1_000, key="t", reference="r")
    # when / then
    with pytest.raises(Exception, match="wallets_never_below_zero"):
        await connections.get("default").execute_query(
            "UPDATE wallets SET balance = -1 WHERE tenant_id = $1", [tenant.id]
        )
