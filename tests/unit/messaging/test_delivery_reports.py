"""Delivery reports: polled from Kavenegar in batches, recorded once per message and route, counted."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from domain.messaging import accounts, delivery, reports
from domain.messaging import service as messaging
from domain.messaging.accounts import ProviderDirectory
from domain.messaging.kavenegar import STATUS_BATCH, KavenegarProvider
from domain.messaging.models import OutboundMessage
from domain.messaging.providers import DeliveryReport
from domain.tenancy.models import Tenant
from tests.support.automation import make_customer, make_tenant
from tests.support.factories import TEST_SECRET
from tests.support.kavenegar_server import KavenegarServer, running_kavenegar

API_KEY = "kavenegar-reports-key"


@pytest.fixture
async def kavenegar() -> AsyncIterator[KavenegarServer]:
    async with running_kavenegar(api_key=API_KEY) as server:
        yield server


@pytest.fixture
async def adapter(kavenegar: KavenegarServer) -> AsyncIterator[KavenegarProvider]:
    async with KavenegarProvider(API_KEY, base_url=kavenegar.base_url, timeout=2.0) as provider:
        yield provider


async def sent_messages(tenant: Tenant, provider: KavenegarProvider, count: int) -> list[OutboundMessage]:
    directory = ProviderDirectory(
        platform=provider,
        platform_sender=None,
        factory=lambda name, key: provider,
        encryption_key=accounts.encryption_key(TEST_SECRET),
    )
    messages = []
    for n in range(count):
        queued = await messaging.queue_sms(
            tenant=tenant,
            customer=await make_customer(tenant),
            origin_key=f"receipt:{n}",
            purpose="transactional",
            body=f"رسید {n}",
        )
        messages.append((await delivery.deliver(message_id=queued.id, directory=directory)).message)
    return messages


async def test_polling_records_final_reports_and_leaves_messages_on_their_way_waiting(
    db: None, kavenegar: KavenegarServer, adapter: KavenegarProvider
) -> None:
    """10 → delivered, 11 → undeliverable, 6 → failed; a message still at the operator (4) keeps waiting."""
    # given
    tenant = await make_tenant()
    delivered, undelivered, failed, pending = await sent_messages(tenant, adapter, 4)
    for message, status in ((delivered, 10), (undelivered, 11), (failed, 6), (pending, 4)):
        kavenegar.set_status(message.provider_message_id or "", status)
    now = datetime.now(UTC)
    # when
    recorded = await reports.poll(provider=adapter, account_id=None, tenant_id=None, now=now)
    again = await reports.poll(provider=adapter, account_id=None, tenant_id=None, now=now)
    # then
    assert (recorded, again) == (3, 0)
    states = {m.id: (m.status, m.delivery_status) for m in await OutboundMessage.all()}
    assert states == {
        delivered.id: ("sent", "delivered"),
        undelivered.id: ("sent", "undeliverable"),
        failed.id: ("sent", "failed"),
        pending.id: ("sent", None),
    }
    assert len(kavenegar.status_calls) == 1  # the second pass asked nobody: all were asked just now


async def test_a_waiting_message_is_asked_about_again_after_a_while(
    db: None, kavenegar: KavenegarServer, adapter: KavenegarProvider
) -> None:
    """A message without a final report is asked about again once ASK_EVERY has passed, and then recorded."""
    # given
    tenant = await make_tenant()
    [message] = await sent_messages(tenant, adapter, 1)
    now = datetime.now(UTC)
    await reports.poll(provider=adapter, account_id=None, tenant_id=None, now=now)
    kavenegar.set_status(message.provider_message_id or "", 10)
    # when
    early = await reports.poll(
        provider=adapter, account_id=None, tenant_id=None, now=now + timedelta(minutes=1)
    )
    later = await reports.poll(
        provider=adapter, account_id=None, tenant_id=None, now=now + reports.ASK_EVERY + timedelta(seconds=1)
    )
    # then
    assert (early, later) == (0, 1)
    after = await OutboundMessage.get(id=message.id)
    assert after.delivery_status == "delivered" and after.delivery_status_at is not None


async def test_status_requests_carry_at_most_500_ids(
    db: None, kavenegar: KavenegarServer, adapter: KavenegarProvider
) -> None:
    """More ids than one call may carry go in several calls; ids Kavenegar does not know are skipped."""
    # given
    ids = [str(100 + n) for n in range(STATUS_BATCH + 1)]
    # when
    found = await adapter.delivery_reports(ids)
    # then
    assert found == []
    assert [len(call["messageid"].split(",")) for call in kavenegar.status_calls] == [STATUS_BATCH, 1]


async def test_a_report_is_matched_within_its_route_only(db: None) -> None:
    """The same provider id on the platform's line and on a store's account are two messages: a report for
    the store's account changes only the store's; a late "delivered" replaces an earlier failure."""
    # given
    tenant, other = await make_tenant(), await make_tenant(name="Other")
    account_id = uuid4()
    now = datetime.now(UTC)
    own = await _sent_row(tenant, provider_message_id="777", account_id=account_id, now=now)
    platform = await _sent_row(other, provider_message_id="777", account_id=None, now=now)
    # when
    first = await reports.record(
        [DeliveryReport("777", "failed", now)],
        provider="kavenegar",
        account_id=account_id,
        tenant_id=tenant.id,
    )
    repeat = await reports.record(
        [DeliveryReport("777", "undeliverable", now)],
        provider="kavenegar",
        account_id=account_id,
        tenant_id=tenant.id,
    )
    late = await reports.record(
        [DeliveryReport("777", "delivered", now)],
        provider="kavenegar",
        account_id=account_id,
        tenant_id=tenant.id,
    )
    # then
    assert (first, repeat, late) == (1, 0, 1)
    assert (await OutboundMessage.get(id=own.id)).delivery_status == "delivered"
    assert (await OutboundMessage.get(id=platform.id)).delivery_status is None


async def test_delivery_counts_add_up_the_store_s_messages(db: None) -> None:
    """Counts by outcome, for the store's messages created in the period only."""
    # given
    tenant, other = await make_tenant(), await make_tenant(name="Other")
    now = datetime.now(UTC)
    for n, status in enumerate(("delivered", "delivered", "failed", "undeliverable", None)):
        row = await _sent_row(tenant, provider_message_id=str(n), account_id=None, now=now)
        await OutboundMessage.filter(id=row.id).update(delivery_status=status)
    await _sent_row(other, provider_message_id="x", account_id=None, now=now)
    unknown = await _sent_row(tenant, provider_message_id="u", account_id=None, now=now)
    await OutboundMessage.filter(id=unknown.id).update(status="queued", outcome_unknown_at=now)
    # when
    counts = await reports.delivery_counts(
        tenant_id=tenant.id, start=now - timedelta(hours=1), end=now + timedelta(hours=1)
    )
    empty = await reports.delivery_counts(
        tenant_id=tenant.id, start=now + timedelta(hours=1), end=now + timedelta(hours=2)
    )
    # then
    assert counts == reports.DeliveryCounts(
        sent=5, delivered=2, failed=1, undeliverable=1, awaiting_report=1, outcome_unknown=1
    )
    assert empty == reports.DeliveryCounts(0, 0, 0, 0, 0, 0)


async def _sent_row(
    tenant: Tenant, *, provider_message_id: str, account_id: object, now: datetime
) -> OutboundMessage:
    customer = await make_customer(tenant)
    return await OutboundMessage.create(
        tenant_id=tenant.id,
        customer_id=customer.id,
        origin_key=f"o:{uuid4()}",
        purpose="transactional",
        phone=customer.phone,
        body="رسید",
        encoding="UCS-2",
        parts=1,
        status="sent",
        provider="kavenegar",
        provider_message_id=provider_message_id,
        sms_account_id=account_id,
        sent_at=now,
    )
