"""Which customers an export reads, chunk by chunk, on real PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest

from domain.customers.models import Customer
from domain.errors import NotFound
from domain.exports.customer_lists import COLUMNS, Selection, open_export
from domain.segments.models import Segment, SegmentMembership
from tests.support.factories import make_owner


async def _all(tenant_id: Any, selection: Selection, size: int = 2) -> list[dict[str, Any]]:
    export = await open_export(tenant_id=tenant_id, selection=selection)
    return [row async for chunk in export.chunks(size=size) for row in chunk]


async def test_every_customer_of_the_store_is_read_once_across_chunks(db: None) -> None:
    """Five customers read two at a time: all five, once each, none of another store's."""
    # given
    owner, other = await make_owner(), await make_owner()
    made = [await Customer.create(tenant_id=owner.tenant.id, external_id=str(n)) for n in range(5)]
    await Customer.create(tenant_id=other.tenant.id, external_id="elsewhere")
    # when
    rows = await _all(owner.tenant.id, Selection())
    # then
    assert sorted(row["id"] for row in rows) == sorted(customer.id for customer in made)
    assert list(rows[0]) == list(COLUMNS)


async def test_amounts_are_in_major_units_and_times_in_the_stores_time_zone(db: None) -> None:
    """A USD store: 1999 cents is 19.99; a time is shown at Tehran's offset when the store is there."""
    # given
    owner = await make_owner(currency="USD", timezone="Asia/Tehran")
    await Customer.create(
        tenant_id=owner.tenant.id,
        external_id="1",
        total_spent=1999,
        last_order_at=datetime(2026, 12, 1, 10, 0, tzinfo=UTC),
        tags=["vip"],
    )
    # when
    [row] = await _all(owner.tenant.id, Selection())
    # then
    assert row["total_spent"] == Decimal("19.99")
    assert row["last_order_at"].isoformat() == "2026-12-01T13:30:00+03:30"
    assert row["tags"] == ["vip"]


async def test_a_search_matches_names_emails_and_phones_as_the_customers_query_does(db: None) -> None:
    """A name in any case, a phone in Persian digits with its leading zero; a literal % matches nothing."""
    # given
    owner = await make_owner()
    for external_id, name, phone, email in [
        ("1", "Sara", "+989121234567", "s@x.ir"),
        ("2", "Reza", "+989351112233", "reza@x.ir"),
        ("3", "Ali", None, "ali@shop.ir"),
    ]:
        await Customer.create(
            tenant_id=owner.tenant.id, external_id=external_id, first_name=name, phone=phone, email=email
        )
    # when
    by_name = await _all(owner.tenant.id, Selection(search="sAR"))
    by_phone = await _all(owner.tenant.id, Selection(search="۰۹۳۵۱۱"))
    by_email = await _all(owner.tenant.id, Selection(search="shop"))
    wildcard = await _all(owner.tenant.id, Selection(search="%"))
    # then
    assert [row["external_id"] for row in by_name] == ["1"]
    assert [row["external_id"] for row in by_phone] == ["2"]
    assert [row["external_id"] for row in by_email] == ["3"]
    assert wildcard == []


async def test_a_segment_export_holds_its_current_members_only(db: None) -> None:
    """Members who left are out; so are members of another segment; a search narrows the members."""
    # given
    owner = await make_owner()
    tenant_id = owner.tenant.id
    vip = await Segment.create(tenant_id=tenant_id, name="VIP", kind="static")
    other = await Segment.create(tenant_id=tenant_id, name="Other", kind="static")
    stays, left, elsewhere = [
        await Customer.create(tenant_id=tenant_id, external_id=n, first_name=n)
        for n in ("stays", "left", "else")
    ]
    now = datetime(2026, 12, 1, tzinfo=UTC)
    await SegmentMembership.create(
        tenant_id=tenant_id, segment_id=vip.id, customer_id=stays.id, entered_at=now
    )
    await SegmentMembership.create(
        tenant_id=tenant_id, segment_id=vip.id, customer_id=left.id, entered_at=now, left_at=now
    )
    await SegmentMembership.create(
        tenant_id=tenant_id, segment_id=other.id, customer_id=elsewhere.id, entered_at=now
    )
    # when
    members = await _all(tenant_id, Selection(segment_id=vip.id), size=1)
    searched = await _all(tenant_id, Selection(segment_id=vip.id, search="nobody"))
    # then
    assert [row["external_id"] for row in members] == ["stays"]
    assert searched == []


async def test_another_stores_segment_or_an_unknown_one_is_not_found(db: None) -> None:
    """A segment of another store is not found, exactly like one that does not exist."""
    # given
    owner, other = await make_owner(), await make_owner()
    theirs = await Segment.create(tenant_id=other.tenant.id, name="Theirs", kind="static")
    # when / then
    for segment_id in (theirs.id, uuid4()):
        with pytest.raises(NotFound) as missing:
            await open_export(tenant_id=owner.tenant.id, selection=Selection(segment_id=segment_id))
        assert missing.value.field == "segment"


@pytest.mark.parametrize(("consent_mode", "never_said_consents"), [("opt_out", True), ("opt_in", False)])
async def test_consent_columns_say_what_was_said_who_said_it_and_what_the_stores_rule_makes_of_it(
    db: None, consent_mode: str, never_said_consents: bool
) -> None:
    """A customer who never said counts as consenting only in an opt-out store; a recorded answer is
    the answer in either kind of store."""
    # given
    owner = await make_owner()
    owner.tenant.consent_mode = consent_mode
    await owner.tenant.save(update_fields=["consent_mode"])
    await Customer.create(tenant_id=owner.tenant.id, external_id="never", consent_source="unknown")
    await Customer.create(tenant_id=owner.tenant.id, external_id="yes", consent_source="store")
    await Customer.create(
        tenant_id=owner.tenant.id, external_id="no", marketing_consent=False, consent_source="customer"
    )
    # when
    rows = {row["external_id"]: row for row in await _all(owner.tenant.id, Selection())}
    # then
    assert {key: (row["consent_source"], row["consents_to_marketing"]) for key, row in rows.items()} == {
        "never": ("unknown", never_said_consents),
        "yes": ("store", True),
        "no": ("customer", False),
    }
