"""Who a customer is: e-mail case does not matter, and phones are read in the store's own country."""

from __future__ import annotations

from typing import Any

import pytest

from domain.customers.models import Customer
from domain.errors import DomainError
from domain.events.processing import process_pending
from domain.events.service import store_events
from domain.tenancy.countries import store_country
from tests.support.events import NOW
from tests.support.factories import make_owner


def customer_event(event_id: str, **data: Any) -> dict[str, Any]:
    return {"id": event_id, "type": "customer.updated", "occurred_at": "2026-11-20T10:00:00Z", "data": data}


async def test_two_spellings_of_one_email_are_one_customer(db: None) -> None:
    """SARA@X.IR and sara@x.ir identify the same person; the address is kept lower-cased."""
    # given
    owner = await make_owner()
    await store_events(
        tenant_id=owner.tenant.id,
        source="api",
        raw_events=[
            customer_event("c-1", email="SARA@Example.IR", first_name="سارا"),
            customer_event("c-2", email="sara@example.ir", last_name="رضایی"),
        ],
    )
    # when
    await process_pending(tenant_id=owner.tenant.id, now=NOW)
    # then
    customers = await Customer.filter(tenant_id=owner.tenant.id)
    assert [(c.email, c.first_name, c.last_name) for c in customers] == [("sara@example.ir", "سارا", "رضایی")]


async def test_a_national_number_in_a_british_store_is_british(db: None) -> None:
    """A USD store on London time reads 07911 123456 as +447911123456, and never turns 07700 900124 (a
    number reserved for drama, so no phone at all) into the Iranian +987700900124."""
    # given
    owner = await make_owner(currency="USD", locale="en", timezone="Europe/London")
    await store_events(
        tenant_id=owner.tenant.id,
        source="api",
        raw_events=[
            customer_event("c-1", external_id="1", phone="07911 123456"),
            customer_event("c-2", external_id="2", phone="07700 900124"),
        ],
    )
    # when
    await process_pending(tenant_id=owner.tenant.id, now=NOW)
    # then
    assert owner.tenant.country == "GB"
    phones = (
        await Customer.filter(tenant_id=owner.tenant.id)
        .order_by("external_id")
        .values_list("phone", flat=True)
    )
    assert phones == ["+447911123456", None]


async def test_an_iranian_store_still_reads_local_mobiles_as_iranian(db: None) -> None:
    """The default store (Tehran time, toman) keeps reading ۰۹۱۲… as +98912…."""
    # given
    owner = await make_owner()
    await store_events(
        tenant_id=owner.tenant.id, source="api", raw_events=[customer_event("c-1", phone="۰۹۱۲۱۲۳۴۵۶۷")]
    )
    # when
    await process_pending(tenant_id=owner.tenant.id, now=NOW)
    # then
    assert owner.tenant.country == "IR"
    assert (await Customer.get(tenant_id=owner.tenant.id)).phone == "+989121234567"


@pytest.mark.parametrize(
    ("country", "timezone", "currency", "expected"),
    [
        (None, "Asia/Tehran", "IRT", "IR"),
        (None, "Europe/London", "USD", "GB"),
        (None, "Asia/Dubai", "AED", "AE"),
        (None, "UTC", "GBP", "GB"),
        ("de", "UTC", "EUR", "DE"),
        ("  tr ", "Europe/London", "TRY", "TR"),
    ],
)
def test_a_store_country_is_what_it_says_else_that_of_its_time_zone_else_of_its_currency(
    country: str | None, timezone: str, currency: str, expected: str
) -> None:
    """The country a store states wins; otherwise its time zone decides, then a one-country currency."""
    assert store_country(country=country, timezone=timezone, currency=currency) == expected


@pytest.mark.parametrize("country", ["XX", "GBR", "1", "I\x00R", "", "a" * 10_000])
def test_a_country_that_is_no_iso_code_is_refused_naming_the_field(country: str) -> None:
    """Anything but a known ISO 3166-1 alpha-2 code is INVALID on `country` (blank means "derive")."""
    if not country.strip():
        assert store_country(country=country, timezone="Asia/Tehran", currency="IRR") == "IR"
        return
    with pytest.raises(DomainError) as raised:
        store_country(country=country, timezone="Asia/Tehran", currency="IRR")
    assert (raised.value.code, raised.value.field) == ("INVALID", "country")


def test_a_store_whose_country_cannot_be_derived_is_asked_for_it() -> None:
    """UTC and euros name no country: registration says to give one."""
    with pytest.raises(DomainError) as raised:
        store_country(country=None, timezone="UTC", currency="EUR")
    assert (raised.value.code, raised.value.field) == ("INVALID", "country")
