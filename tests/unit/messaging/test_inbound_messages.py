"""Inbound SMS: kept once per store, opt-outs suppressing marketing, the shared line's stores found."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from uuid import uuid4

from domain.messaging import inbound, suppressions
from domain.messaging.models import InboundMessage, OutboundMessage
from domain.messaging.providers import Inbound
from domain.tenancy.models import Tenant
from tests.support.automation import make_customer, make_tenant

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
PHONE = "+989121234567"


def text(
    body: str, *, message_id: str = "40000001", sender: str = "09121234567", at: datetime = NOW
) -> Inbound:
    return Inbound(provider_message_id=message_id, sender=sender, line="10004346", body=body, received_at=at)


async def marketing_sent(tenant: Tenant, *, at: datetime, account_id: object = None) -> None:
    customer = await make_customer(tenant, phone=PHONE)
    await OutboundMessage.create(
        tenant_id=tenant.id,
        customer_id=customer.id,
        origin_key=f"campaign:{uuid4()}",
        purpose="marketing",
        phone=PHONE,
        body="تخفیف\nلغو۱۱",
        encoding="UCS-2",
        parts=1,
        status="sent",
        provider="kavenegar",
        provider_message_id=str(uuid4().int)[:9],
        sms_account_id=account_id,
        sent_at=at,
    )


async def test_an_opt_out_to_a_store_s_own_line_suppresses_marketing_there_once(db: None) -> None:
    """«۱۱» to the store's own account: stored once (a repeat stores nothing), the phone suppressed."""
    # given
    tenant = await make_tenant()
    account_id = uuid4()
    # when
    first = await inbound.receive(
        provider="kavenegar",
        account_id=account_id,
        tenant_id=tenant.id,
        messages=[text("۱۱")],
        source="poll",
        now=NOW,
    )
    again = await inbound.receive(
        provider="kavenegar",
        account_id=account_id,
        tenant_id=tenant.id,
        messages=[text("۱۱")],
        source="callback",
        now=NOW,
    )
    # then
    assert len(first) == 1 and again == []
    row = first[0]
    assert (row.phone, row.opt_out, row.source, row.sms_account_id) == (PHONE, True, "poll", account_id)
    assert await suppressions.is_suppressed(tenant_id=tenant.id, phone=PHONE)
    assert await InboundMessage.all().count() == 1


async def test_an_ordinary_reply_is_kept_without_suppressing(db: None) -> None:
    """A question is not an opt-out: kept, phone not suppressed."""
    # given
    tenant = await make_tenant()
    # when
    [row] = await inbound.receive(
        provider="kavenegar",
        account_id=uuid4(),
        tenant_id=tenant.id,
        messages=[text("سفارشم کی میرسه؟")],
        source="poll",
        now=NOW,
    )
    # then
    assert row.opt_out is False and not await suppressions.is_suppressed(tenant_id=tenant.id, phone=PHONE)


async def test_an_opt_out_on_the_shared_line_reaches_every_store_that_texted_the_phone_lately(
    db: None,
) -> None:
    """Stores that sent the phone marketing on the shared line in the last 30 days all stop; a store that did
    so long ago, and one that used its own account, do not."""
    # given
    recent, also_recent, long_ago, own_line = [await make_tenant(name=name) for name in ("A", "B", "C", "D")]
    await marketing_sent(recent, at=NOW - timedelta(days=2))
    await marketing_sent(also_recent, at=NOW - timedelta(days=29))
    await marketing_sent(long_ago, at=NOW - timedelta(days=90))
    await marketing_sent(own_line, at=NOW - timedelta(days=1), account_id=uuid4())
    # when
    stored = await inbound.receive(
        provider="kavenegar",
        account_id=None,
        tenant_id=None,
        messages=[text("لغو")],
        source="callback",
        now=NOW,
    )
    # then
    assert {row.tenant_id for row in stored} == {recent.id, also_recent.id}  # type: ignore[attr-defined]
    for tenant, suppressed in ((recent, True), (also_recent, True), (long_ago, False), (own_line, False)):
        assert await suppressions.is_suppressed(tenant_id=tenant.id, phone=PHONE) is suppressed


async def test_on_the_shared_line_with_nobody_recent_the_last_store_to_text_the_phone_hears_it(
    db: None,
) -> None:
    """No store texted the phone in 30 days: the one that did last, ever, gets the opt-out."""
    # given
    older, newer = await make_tenant(name="Old"), await make_tenant(name="New")
    await marketing_sent(older, at=NOW - timedelta(days=200))
    await marketing_sent(newer, at=NOW - timedelta(days=60))
    # when
    stored = await inbound.receive(
        provider="kavenegar", account_id=None, tenant_id=None, messages=[text("11")], source="poll", now=NOW
    )
    # then
    assert [row.tenant_id for row in stored] == [newer.id]  # type: ignore[attr-defined]


async def test_a_reply_nobody_asked_for_on_the_shared_line_is_dropped(db: None) -> None:
    """A number no store ever texted from the shared line concerns nobody: nothing is stored."""
    # given
    await make_tenant()
    # when
    stored = await inbound.receive(
        provider="kavenegar", account_id=None, tenant_id=None, messages=[text("۱۱")], source="poll", now=NOW
    )
    # then
    assert stored == [] and await InboundMessage.all().count() == 0


async def test_hostile_text_is_stored_without_nul_and_within_its_limits(db: None) -> None:
    """NUL and lone surrogates are dropped, a 10,000-character body and a 200-character id are cut to their
    columns, and a sender that is no phone is kept as given."""
    # given
    tenant = await make_tenant()
    hostile = Inbound(
        provider_message_id="9" * 200,
        sender="not\x00-a-phone",
        line="1000\x00",
        body="a\x00b\ud800" + "x" * 10_000,
        received_at=NOW,
    )
    # when
    [row] = await inbound.receive(
        provider="kavenegar",
        account_id=uuid4(),
        tenant_id=tenant.id,
        messages=[hostile],
        source="poll",
        now=NOW,
    )
    # then
    assert row.body.startswith("abx") and len(row.body) == inbound.MAX_BODY and "\x00" not in row.body
    assert len(row.provider_message_id) == inbound.MAX_FIELD
    assert row.phone == "not-a-phone" and row.line == "1000"


async def test_the_same_message_received_twice_at_once_is_kept_once(db: None) -> None:
    """The poller and the callback bring the same «۱۱» at the same moment: one row, one suppression."""
    # given
    tenant = await make_tenant()
    account_id = uuid4()

    async def receive(source: str) -> list[InboundMessage]:
        return await inbound.receive(
            provider="kavenegar",
            account_id=account_id,
            tenant_id=tenant.id,
            messages=[text("۱۱")],
            source=source,
            now=NOW,
        )

    # when
    first, second = await asyncio.gather(receive("poll"), receive("callback"))
    # then
    assert len(first) + len(second) == 1
    assert await InboundMessage.all().count() == 1
    assert await suppressions.is_suppressed(tenant_id=tenant.id, phone=PHONE)
