"""Billing where it happens: an SMS is charged once when handed to the provider (a real Kavenegar-protocol
server), refunded when refused for good, left queued when the wallet cannot pay; a journey run is charged
when it starts and waits, not lost, while the store is on hold; everything goes on after a top-up."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from tortoise.transactions import in_transaction

from domain.automation import engine
from domain.automation.models import AutomationRun
from domain.automation.poller import due_stores, poll
from domain.billing import charging, holds, wallet
from domain.billing.models import WalletEntry
from domain.customers.models import Customer
from domain.messaging import accounts, delivery
from domain.messaging import service as messaging
from domain.messaging.accounts import ProviderDirectory
from domain.messaging.kavenegar import KavenegarProvider
from domain.messaging.models import OutboundMessage
from domain.tenancy import service as tenancy
from domain.tenancy.models import Tenant
from tests.support.factories import TEST_SECRET
from tests.support.journeys import enrol_customers, make_journey
from tests.support.kavenegar_server import KavenegarServer, running_kavenegar

API_KEY = "kavenegar-test-key"
OWNER = "+989121110000"
TAG_THEN_SMS = {
    "trigger": {"type": "event", "event": "customer.created"},
    "steps": [
        {"type": "add_tag", "tag": "seen"},
        {"type": "send_sms", "template": "{first_name}، خوش آمدید.", "purpose": "transactional"},
    ],
}


@pytest.fixture
async def kavenegar() -> AsyncIterator[KavenegarServer]:
    async with running_kavenegar(api_key=API_KEY) as server:
        yield server


@pytest.fixture
async def sms(kavenegar: KavenegarServer) -> AsyncIterator[ProviderDirectory]:
    async with KavenegarProvider(API_KEY, base_url=kavenegar.base_url, timeout=0.5) as provider:
        yield ProviderDirectory(
            platform=provider,
            platform_sender=None,
            factory=lambda name, key: KavenegarProvider(key),
            encryption_key=accounts.encryption_key(TEST_SECRET),
        )


async def empty_store() -> Tenant:
    tenant = await tenancy.create_tenant(tenant_in=tenancy.TenantIn(name="Ketab", currency="IRR"))
    tenant.owner_phone = OWNER
    await tenant.save()
    return tenant


async def customer_of(tenant: Tenant, number: int = 1) -> Customer:
    return await Customer.create(
        tenant_id=tenant.id, external_id=f"c{number}", phone=f"+98912{number:07d}", first_name="سارا"
    )


async def queued(tenant: Tenant, number: int = 1, body: str = "سلام") -> OutboundMessage:
    return await messaging.queue_sms(
        tenant=tenant,
        customer=await customer_of(tenant, number),
        origin_key=f"test:{number}",
        purpose="transactional",
        body=body,
    )


async def test_an_sms_is_charged_once_when_handed_to_the_provider(
    db: None, kavenegar: KavenegarServer, sms: ProviderDirectory
) -> None:
    """Delivering twice sends once and charges once: parts × 1,500 under sms:<id>."""
    # given
    tenant = await empty_store()
    await wallet.top_up(tenant.id, amount=10_000, key="t", reference="test")
    message = await queued(tenant)
    # when
    await delivery.deliver(message_id=message.id, directory=sms)
    await delivery.deliver(message_id=message.id, directory=sms)
    # then
    assert len(kavenegar.received) == 1
    [charge] = await WalletEntry.filter(tenant_id=tenant.id, kind="charge")
    assert (charge.idempotency_key, charge.amount) == (f"sms:{message.id}", message.parts * 1_500)
    assert (await wallet.balance(tenant.id)).balance == 10_000 - message.parts * 1_500


async def test_an_sms_the_wallet_cannot_pay_stays_queued_and_goes_after_a_top_up(
    db: None, kavenegar: KavenegarServer, sms: ProviderDirectory
) -> None:
    """Nothing is sent on credit: the message stays queued (not failed) with the reason, the store is held
    and the owner's notice (free) goes out; after a top-up the message is sent and charged once."""
    # given
    tenant = await empty_store()
    message = await queued(tenant)
    # when
    waiting = await delivery.deliver(message_id=message.id, directory=sms)
    [notice] = await OutboundMessage.filter(tenant_id=tenant.id, origin_key__startswith="billing:")
    told = await delivery.deliver(message_id=notice.id, directory=sms)
    await wallet.top_up(tenant.id, amount=5_000, key="t", reference="test")
    await holds.funds_added(tenant.id)
    sent = await delivery.deliver(message_id=message.id, directory=sms)
    # then
    assert waiting.message.status == "queued" and waiting.message.failure_reason == delivery.WAITING_FOR_FUNDS
    assert told.message.status == "sent" and told.message.phone == OWNER
    assert sent.message.status == "sent"
    assert [request["receptor"] for request in kavenegar.received] == [OWNER, message.phone]
    assert await WalletEntry.filter(tenant_id=tenant.id, kind="charge").count() == 1
    assert await holds.on_hold(tenant.id) is None


async def test_an_sms_the_provider_refuses_for_good_is_refunded(
    db: None, kavenegar: KavenegarServer, sms: ProviderDirectory
) -> None:
    """A permanent refusal (411) fails the message and gives its charge back."""
    # given
    tenant = await empty_store()
    await wallet.top_up(tenant.id, amount=10_000, key="t", reference="test")
    message = await queued(tenant)
    kavenegar.fail_next(411)
    # when
    failed = await delivery.deliver(message_id=message.id, directory=sms)
    # then
    assert failed.message.status == "failed"
    kinds = sorted(await WalletEntry.filter(tenant_id=tenant.id).values_list("kind", flat=True))
    assert kinds == ["charge", "refund", "top_up"]
    assert (await wallet.balance(tenant.id)).balance == 10_000


async def test_a_long_sms_is_charged_by_its_parts(
    db: None, kavenegar: KavenegarServer, sms: ProviderDirectory
) -> None:
    """A three-part message costs three parts."""
    # given
    tenant = await empty_store()
    await wallet.top_up(tenant.id, amount=10_000, key="t", reference="test")
    message = await queued(tenant, body="سلام " * 40)
    # when
    await delivery.deliver(message_id=message.id, directory=sms)
    # then
    assert message.parts == 3
    assert (await wallet.balance(tenant.id)).balance == 10_000 - 3 * 1_500


async def test_journey_runs_are_charged_at_start_and_held_runs_wait_for_funds(db: None) -> None:
    """With one run's worth in the wallet, one of two runs starts (charged run:<id>), the other stays due
    and untouched, the store is held and left out of the due stores; after a top-up it goes on, charged
    once."""
    # given
    tenant = await empty_store()
    await wallet.top_up(tenant.id, amount=500, key="t", reference="test")
    journey = await make_journey(tenant, TAG_THEN_SMS)
    customers = [await customer_of(tenant, 1), await customer_of(tenant, 2)]
    first, second = await enrol_customers(journey, customers)
    now = datetime.now(UTC)
    # when
    await poll(tenant_id=tenant.id, now=now)
    after_first_poll = {run.id: run for run in await AutomationRun.filter(tenant_id=tenant.id)}
    stores_while_held = await due_stores(now=now)
    await wallet.top_up(tenant.id, amount=10_000, key="t2", reference="test")
    await holds.funds_added(tenant.id)
    stores_after = await due_stores(now=now + timedelta(seconds=1))
    await poll(tenant_id=tenant.id, now=now + timedelta(seconds=1))
    # then
    states = sorted(run.state for run in after_first_poll.values())
    assert states == ["completed", "pending"]
    [held] = [run for run in after_first_poll.values() if run.state == "pending"]
    assert (held.current_step, held.due_at) == (0, first.due_at)
    assert tenant.id not in stores_while_held and tenant.id in stores_after
    assert {run.state for run in await AutomationRun.filter(tenant_id=tenant.id)} == {"completed"}
    runs = await WalletEntry.filter(tenant_id=tenant.id, charge_kind="journey_run").values_list(
        "idempotency_key", flat=True
    )
    assert sorted(runs) == sorted([f"run:{first.id}", f"run:{second.id}"])


async def test_a_store_on_hold_advances_no_step(db: None) -> None:
    """While the store is on hold the poller takes nothing, even runs already paid for."""
    # given
    tenant = await empty_store()
    await wallet.top_up(tenant.id, amount=10_000, key="t", reference="test")
    journey = await make_journey(tenant, TAG_THEN_SMS)
    [run] = await enrol_customers(journey, [await customer_of(tenant)])
    await wallet.adjust(tenant.id, amount=-10_000, key="adj", note="drained")
    async with in_transaction() as connection:
        assert not await charging.charge_messages(connection, tenant, [(uuid4(), 1)])
    # when
    result = await poll(tenant_id=tenant.id, now=datetime.now(UTC))
    # then
    assert await holds.on_hold(tenant.id) is not None
    assert result.taken == 0
    assert (await AutomationRun.get(id=run.id)).state == "pending"


async def test_advancing_one_run_charges_its_start_and_waits_while_the_wallet_cannot_pay(db: None) -> None:
    """The single-run path (engine.advance) charges the start like the poller: without funds the run stays
    due and the store is held; after a top-up it advances, charged once."""
    # given
    tenant = await empty_store()
    journey = await make_journey(tenant, TAG_THEN_SMS)
    [run] = await enrol_customers(journey, [await customer_of(tenant)])
    now = datetime.now(UTC)
    # when
    waiting = await engine.advance(run_id=run.id, now=now)
    held = await holds.on_hold(tenant.id)
    await wallet.top_up(tenant.id, amount=10_000, key="t", reference="test")
    await holds.funds_added(tenant.id)
    advanced = await engine.advance(run_id=run.id, now=now)
    # then
    assert (waiting.run.state, waiting.run.current_step, waiting.message_ids) == ("pending", 0, ())
    assert held is not None and held.needed == 500
    assert advanced.run.state == "completed" and len(advanced.message_ids) == 1
    assert await WalletEntry.filter(tenant_id=tenant.id, idempotency_key=f"run:{run.id}").count() == 1
