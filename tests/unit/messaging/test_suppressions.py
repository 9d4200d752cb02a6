"""The opt-out list: «۱۱», «لغو» and "11" recognised however they are typed, one row per store and
phone whatever arrives twice or at once, the owner's removal respected against replayed messages."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from tortoise.transactions import in_transaction

from domain.errors import DomainError
from domain.messaging import suppressions
from domain.messaging.models import SmsSuppression
from tests.support.automation import make_tenant

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
PHONE = "+989121234567"


@pytest.mark.parametrize(
    "body",
    [
        "11",
        "۱۱",
        "١١",
        " 11 ",
        "1 1",
        "لغو",
        "لغو۱۱",
        "لغو ۱۱",
        "لغو\u200c۱۱",
        "\u200f۱۱\u200e",
        "لغو.",
        "\tلغو\n",
        "STOP",
        "Stop!",
    ],
)
def test_opt_out_keywords_are_recognised_however_they_are_typed(body: str) -> None:
    """Persian, Arabic-Indic and ASCII digits, spaces, ZWNJ, direction marks and punctuation are ignored."""
    assert suppressions.is_opt_out(body)


@pytest.mark.parametrize(
    "body", ["", "   ", "1", "111", "110", "12", "لغو کن سفارشم", "hello 11", "۱۱۱", "x" * 10_000]
)
def test_other_messages_are_not_opt_outs(body: str) -> None:
    """Only the keyword alone opts out: a sentence that contains it does not."""
    assert not suppressions.is_opt_out(body)


async def test_an_opt_out_sms_suppresses_its_phone_with_source_text_and_time(db: None) -> None:
    """The row records where the opt-out came from, what it said and when."""
    # given
    tenant = await make_tenant()
    # when
    recognised = await suppressions.record_inbound(
        tenant_id=tenant.id, phone=PHONE, body="لغو ۱۱", received_at=NOW, source="kavenegar:callback"
    )
    # then
    row = await SmsSuppression.get(tenant_id=tenant.id, phone=PHONE)
    assert recognised is True
    assert (row.source, row.keyword, row.suppressed_at, row.lifted_at) == (
        "kavenegar:callback",
        "لغو ۱۱",
        NOW,
        None,
    )
    assert await suppressions.is_suppressed(tenant_id=tenant.id, phone=PHONE)


async def test_any_other_inbound_sms_suppresses_nothing(db: None) -> None:
    """ "Where is my order?" is not an opt-out."""
    # given
    tenant = await make_tenant()
    # when
    recognised = await suppressions.record_inbound(
        tenant_id=tenant.id, phone=PHONE, body="سفارشم کجاست؟", received_at=NOW, source="poll"
    )
    # then
    assert recognised is False
    assert not await SmsSuppression.filter(tenant_id=tenant.id).exists()


async def test_opting_out_twice_keeps_the_first_time(db: None) -> None:
    """A repeated opt-out (or a replayed poll) is one row with the first opt-out's time and text."""
    # given
    tenant = await make_tenant()
    await suppressions.record_inbound(
        tenant_id=tenant.id, phone=PHONE, body="11", received_at=NOW, source="poll"
    )
    # when
    await suppressions.record_inbound(
        tenant_id=tenant.id, phone=PHONE, body="لغو", received_at=NOW + timedelta(hours=1), source="callback"
    )
    # then
    rows = await SmsSuppression.filter(tenant_id=tenant.id)
    assert [(r.keyword, r.suppressed_at, r.source) for r in rows] == [("11", NOW, "poll")]


async def test_the_same_opt_out_at_once_is_one_row(db: None) -> None:
    """The callback and the poll delivering one opt-out at the same moment leave one row."""
    # given
    tenant = await make_tenant()

    async def opt_out(source: str) -> bool:
        async with in_transaction():
            return await suppressions.record_inbound(
                tenant_id=tenant.id, phone=PHONE, body="۱۱", received_at=NOW, source=source
            )

    # when
    results = await asyncio.gather(*(opt_out(f"s{i}") for i in range(5)))
    # then
    assert results == [True] * 5
    assert await SmsSuppression.filter(tenant_id=tenant.id).count() == 1


async def test_an_opt_out_older_than_the_owners_removal_does_not_bring_it_back(db: None) -> None:
    """The owner removed the phone at 10:00; a replay of the 09:00 «۱۱» keeps it removed, a new «۱۱» at
    11:00 suppresses it again."""
    # given
    tenant = await make_tenant()
    await suppressions.record_inbound(
        tenant_id=tenant.id, phone=PHONE, body="11", received_at=NOW, source="poll"
    )
    lifted = await suppressions.lift(
        tenant_id=tenant.id, phone=PHONE, user_id=None, at=NOW + timedelta(hours=1)
    )
    # when
    await suppressions.record_inbound(
        tenant_id=tenant.id, phone=PHONE, body="11", received_at=NOW, source="poll"
    )
    replayed = await suppressions.is_suppressed(tenant_id=tenant.id, phone=PHONE)
    await suppressions.record_inbound(
        tenant_id=tenant.id, phone=PHONE, body="۱۱", received_at=NOW + timedelta(hours=2), source="poll"
    )
    # then
    assert lifted.lifted_at == NOW + timedelta(hours=1)
    assert replayed is False
    row = await SmsSuppression.get(tenant_id=tenant.id, phone=PHONE)
    assert (row.lifted_at, row.suppressed_at, row.keyword) == (None, NOW + timedelta(hours=2), "۱۱")


async def test_lifting_twice_keeps_the_first_lift_and_an_unknown_phone_is_not_found(db: None) -> None:
    """Removing is idempotent; removing a phone the store never suppressed is NOT_FOUND."""
    # given
    tenant = await make_tenant()
    await suppressions.suppress(tenant_id=tenant.id, phone=PHONE, source="owner", keyword=None, at=NOW)
    first = await suppressions.lift(
        tenant_id=tenant.id, phone=PHONE, user_id=None, at=NOW + timedelta(minutes=1)
    )
    # when
    second = await suppressions.lift(
        tenant_id=tenant.id, phone=PHONE, user_id=None, at=NOW + timedelta(minutes=2)
    )
    # then
    assert second.lifted_at == first.lifted_at == NOW + timedelta(minutes=1)
    with pytest.raises(DomainError) as missing:
        await suppressions.lift(tenant_id=tenant.id, phone="+989129999999", user_id=None, at=NOW)
    assert missing.value.code == "NOT_FOUND"


async def test_one_stores_list_is_not_anothers(db: None) -> None:
    """A phone suppressed in one store is neither suppressed nor liftable in another."""
    # given
    mine, theirs = await make_tenant(name="Mine"), await make_tenant(name="Theirs")
    await suppressions.suppress(tenant_id=mine.id, phone=PHONE, source="owner", keyword=None, at=NOW)
    # then
    assert not await suppressions.is_suppressed(tenant_id=theirs.id, phone=PHONE)
    with pytest.raises(DomainError) as missing:
        await suppressions.lift(tenant_id=theirs.id, phone=PHONE, user_id=None, at=NOW)
    assert missing.value.code == "NOT_FOUND"


@pytest.mark.parametrize(
    ("phone", "source", "code"),
    [
        ("09121234567", "owner", "INVALID_PHONE"),
        ("", "owner", "INVALID_PHONE"),
        ("+98912", "owner", "INVALID_PHONE"),
        (PHONE, "", "INVALID"),
        (PHONE, "Owner", "INVALID"),
        (PHONE, "x" * 33, "INVALID"),
        (PHONE, "own\x00er", "INVALID"),
    ],
)
async def test_suppress_refuses_what_it_cannot_store_exactly(
    db: None, phone: str, source: str, code: str
) -> None:
    """Phones are E.164 and sources are short slugs; anything else is refused and writes nothing."""
    # given
    tenant = await make_tenant()
    # when / then
    with pytest.raises(DomainError) as refused:
        await suppressions.suppress(tenant_id=tenant.id, phone=phone, source=source, keyword=None, at=NOW)
    assert refused.value.code == code
    assert not await SmsSuppression.filter(tenant_id=tenant.id).exists()


async def test_the_text_as_received_is_kept_storable_and_short(db: None) -> None:
    """A keyword of 10,000 characters with NUL and a lone surrogate is kept as its first 160 storable ones."""
    # given
    tenant = await make_tenant()
    # when
    row = await suppressions.suppress(
        tenant_id=tenant.id, phone=PHONE, source="poll", keyword="۱\x00\ud800" + "x" * 10_000, at=NOW
    )
    # then
    assert row.keyword == "۱" + "x" * 159
