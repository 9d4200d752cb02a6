"""Charging SMS and journey runs once, at the price of the moment, and holding a store the wallet cannot
pay for: one notice to the owner per hold, lifted when funds come; low-balance warnings per crossing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

from tortoise.transactions import in_transaction

from domain.billing import charging, holds, plans, tariffs, wallet
from domain.billing.models import WalletEntry
from domain.messaging.models import OutboundMessage
from domain.tenancy import service as tenancy
from domain.tenancy.models import Tenant

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
OWNER = "+989121110000"


async def store(
    *, owner_phone: str | None = OWNER, threshold: int | None = None, locale: str = "fa"
) -> Tenant:
    tenant = await tenancy.create_tenant(
        tenant_in=tenancy.TenantIn(name="Ketab", currency="IRR", locale=locale)
    )
    tenant.owner_phone, tenant.low_balance_threshold = owner_phone, threshold
    await tenant.save()
    return tenant


async def charge(tenant: Tenant, messages: list[tuple[UUID, int]], *, now: datetime = NOW) -> bool:
    async with in_transaction() as connection:
        return await charging.charge_messages(connection, tenant, messages, now=now)


async def notices(tenant: Tenant) -> list[OutboundMessage]:
    return await OutboundMessage.filter(tenant_id=tenant.id, origin_key__startswith="billing:").order_by(
        "created_at"
    )


async def test_messages_are_charged_once_at_the_part_price(db: None) -> None:
    """Each message is charged parts × 1,500 under sms:<id>; charging again takes nothing."""
    # given
    tenant = await store()
    await wallet.top_up(tenant.id, amount=10_000, key="t", reference="test")
    first, second = uuid4(), uuid4()
    # when
    paid = await charge(tenant, [(first, 1), (second, 2)])
    again = await charge(tenant, [(first, 1), (second, 2)])
    # then
    assert paid and again
    assert (await wallet.balance(tenant.id)).balance == 10_000 - 3 * 1_500
    entry = await WalletEntry.get(tenant_id=tenant.id, idempotency_key=f"sms:{second}")
    assert (entry.amount, entry.quantity, entry.unit_price, entry.charge_kind) == (3_000, 2, 1_500, "sms")


async def test_a_store_that_cannot_pay_is_held_and_its_owner_told_once(db: None) -> None:
    """A refused charge writes nothing, holds the store with what it needed, and queues one notice to the
    owner however many charges are refused."""
    # given
    tenant = await store()
    await wallet.top_up(tenant.id, amount=1_000, key="t", reference="test")
    # when
    paid = await charge(tenant, [(uuid4(), 1)])
    again = await charge(tenant, [(uuid4(), 1)])
    # then
    assert not paid and not again
    hold = await holds.on_hold(tenant.id)
    assert hold is not None and hold.reason == "insufficient_funds" and hold.needed == 1_500
    assert hold.notified_at is not None
    told = await notices(tenant)
    assert len(told) == 1 and told[0].phone == OWNER and told[0].purpose == "transactional"
    assert "کیف پول" in told[0].body
    assert (await wallet.balance(tenant.id)).balance == 1_000


async def test_a_hold_is_lifted_when_the_wallet_pays_what_was_refused(db: None) -> None:
    """funds_added lifts the hold only once the available balance covers the refused charge."""
    # given
    tenant = await store()
    assert not await charge(tenant, [(uuid4(), 2)])  # 3,000 needed
    # when
    await wallet.top_up(tenant.id, amount=2_000, key="t1", reference="test")
    await holds.funds_added(tenant.id)
    still = await holds.on_hold(tenant.id)
    await wallet.top_up(tenant.id, amount=1_000, key="t2", reference="test")
    await holds.funds_added(tenant.id)
    # then
    assert still is not None
    assert await holds.on_hold(tenant.id) is None
    assert await charge(tenant, [(uuid4(), 2)])


async def test_a_new_hold_after_a_lifted_one_tells_the_owner_again(db: None) -> None:
    """One notice per hold: a second hold, after the first was lifted, is a second notice."""
    # given
    tenant = await store()
    assert not await charge(tenant, [(uuid4(), 1)])
    await wallet.top_up(tenant.id, amount=1_500, key="t1", reference="test")
    await holds.funds_added(tenant.id)
    assert await charge(tenant, [(uuid4(), 1)])
    # when
    assert not await charge(tenant, [(uuid4(), 1)], now=NOW + timedelta(hours=1))
    # then
    assert len(await notices(tenant)) == 2


async def test_a_store_without_owner_phone_is_held_without_sms(db: None) -> None:
    """The hold is recorded (visible in GraphQL) even when nobody can be told by SMS."""
    # given
    tenant = await store(owner_phone=None)
    # when
    assert not await charge(tenant, [(uuid4(), 1)])
    # then
    hold = await holds.on_hold(tenant.id)
    assert hold is not None and hold.notified_at is None
    assert await notices(tenant) == []


async def test_the_low_balance_warning_is_sent_once_per_crossing(db: None) -> None:
    """Falling below the threshold warns once; staying below does not; rising above and falling again
    warns again."""
    # given
    tenant = await store(threshold=5_000, locale="en")
    await wallet.top_up(tenant.id, amount=8_000, key="t1", reference="test")
    # when
    assert await charge(tenant, [(uuid4(), 1)])  # 6,500: above
    assert await charge(tenant, [(uuid4(), 1)])  # 5,000: not below
    assert await charge(tenant, [(uuid4(), 1)])  # 3,500: crossed
    assert await charge(tenant, [(uuid4(), 1)])  # 2,000: still below
    after_first = await notices(tenant)
    await wallet.top_up(tenant.id, amount=10_000, key="t2", reference="test")
    await holds.funds_added(tenant.id)  # 12,000: above again
    assert await charge(tenant, [(uuid4(), 5)], now=NOW + timedelta(minutes=5))  # 4,500: crossed again
    # then
    assert len(after_first) == 1 and "3,500 IRR" in after_first[0].body
    assert len(await notices(tenant)) == 2


async def test_a_reservation_crossing_the_threshold_is_caught_by_the_sweep(db: None) -> None:
    """check_low_balance over all stores warns a store whose reservation took it below the line."""
    # given
    tenant = await store(threshold=5_000)
    await wallet.top_up(tenant.id, amount=8_000, key="t1", reference="test")
    await wallet.reserve(tenant.id, amount=4_000, key="campaign:1")
    # when
    warned = await holds.check_low_balance(None, now=NOW)
    again = await holds.check_low_balance(None, now=NOW + timedelta(minutes=1))
    # then
    assert warned == [tenant.id] and again == []


async def test_owner_notices_are_never_charged(db: None) -> None:
    """Notices are billing:… messages: the hold's notice exists while the wallet holds 0."""
    # given
    tenant = await store()
    # when
    assert not await charge(tenant, [(uuid4(), 1)])
    # then
    [notice] = await notices(tenant)
    assert not await WalletEntry.filter(
        tenant_id=tenant.id, idempotency_key=charging.message_key(notice.id)
    ).exists()
    assert notice.status == "queued"


async def test_a_message_refused_for_good_is_refunded_once(db: None) -> None:
    """refund_message gives the SMS's charge back; repeating it gives nothing more."""
    # given
    tenant = await store()
    await wallet.top_up(tenant.id, amount=5_000, key="t", reference="test")
    message_id = uuid4()
    assert await charge(tenant, [(message_id, 2)])
    # when
    for _ in range(2):
        async with in_transaction() as connection:
            await charging.refund_message(connection, tenant.id, message_id)
    # then
    assert (await wallet.balance(tenant.id)).balance == 5_000


async def test_runs_are_charged_at_start_and_the_unpaid_wait(db: None) -> None:
    """With 2.5 runs' worth in the wallet, 2 of 4 runs are charged and may start; 2 wait and the store is
    held; already-charged runs are never charged again."""
    # given
    tenant = await store()
    await wallet.top_up(tenant.id, amount=1_250, key="t", reference="test")  # the default run price is 500
    runs = [uuid4() for _ in range(4)]
    # when
    async with in_transaction() as connection:
        started = await charging.charge_runs(connection, tenant, runs, now=NOW)
    async with in_transaction() as connection:
        again = await charging.charge_runs(connection, tenant, runs[:2], now=NOW)
    # then
    assert started == set(runs[:2]) and again == set(runs[:2])
    assert (await wallet.balance(tenant.id)).balance == 250
    assert await holds.on_hold(tenant.id) is not None


async def test_runs_in_a_paid_annual_period_are_not_charged(db: None) -> None:
    """An annual store's runs start without a run charge."""
    # given
    tenant = await store()
    await tariffs.set_tenant_tariff(
        tenant_id=tenant.id, annual_fee=100_000, journey_run_price=None, sms_part_price=None
    )
    await wallet.top_up(tenant.id, amount=100_000, key="t", reference="test")
    await plans.subscribe(tenant_id=tenant.id, plan="annual", client_key="c1")
    run = uuid4()
    # when
    async with in_transaction() as connection:
        started = await charging.charge_runs(connection, tenant, [run], now=datetime.now(UTC))
    # then
    assert started == {run}
    assert not await WalletEntry.filter(tenant_id=tenant.id, charge_kind="journey_run").exists()
