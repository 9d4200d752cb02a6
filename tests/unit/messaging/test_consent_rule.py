"""Consent by the store's rule, read the same way everywhere: a customer who never said follows the
store's opt-in/opt-out mode (or its country's norm), an explicit yes or no wins, a suppressed phone
gets nothing — in queue_sms, in the segment field marketing_consent and in a preview's reachable count."""

from __future__ import annotations

import importlib
from datetime import UTC, datetime
from uuid import uuid4

import pytest
from tortoise import Tortoise

from domain.customers.batch import CustomerBatch
from domain.customers.models import Customer
from domain.customers.service import CustomerIn
from domain.errors import DomainError
from domain.messaging import consent, suppressions
from domain.messaging import service as messaging
from domain.segments.preview import preview
from domain.tenancy import service as tenancy
from domain.tenancy.countries import default_consent_mode
from domain.tenancy.models import Tenant

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)  # 11:30 in Tehran, 08:00 in London: no quiet hours
CONSENTING = {"version": 1, "match": {"field": "marketing_consent", "op": "is", "value": True}}
EVERYONE = {"version": 1, "match": {"field": "orders_count", "op": "gte", "value": 0}}
REFUSING = {"version": 1, "match": {"field": "marketing_consent", "op": "is", "value": False}}

# mode, source, stored consent → may get marketing
MATRIX = [
    ("opt_out", "unknown", True, True),
    ("opt_in", "unknown", True, False),
    ("opt_out", "store", True, True),
    ("opt_in", "store", True, True),
    ("opt_out", "store", False, False),
    ("opt_in", "store", False, False),
    ("opt_in", "customer", True, True),
    ("opt_out", "customer", False, False),
    ("opt_out", "unknown", False, False),  # a stored no is a no, whatever its source says
]


STORES = {
    "IR": ("Asia/Tehran", "IRT", "fa"),
    "GB": ("Europe/London", "GBP", "en"),
    "US": ("America/New_York", "USD", "en"),
    "DE": ("Europe/Berlin", "EUR", "en"),
}


async def a_store(*, mode: str | None, country: str = "IR") -> Tenant:
    zone, currency, locale = STORES[country]
    tenant = await tenancy.create_tenant(
        tenant_in=tenancy.TenantIn(
            name="Shop", currency=currency, locale=locale, timezone=zone, country=country
        )
    )
    await Tenant.filter(id=tenant.id).update(consent_mode=mode)
    return await Tenant.get(id=tenant.id)


async def a_customer(tenant: Tenant, *, source: str, said: bool, phone: str | None = None) -> Customer:
    number = uuid4().int % 10_000_000
    return await Customer.create(
        tenant_id=tenant.id,
        external_id=str(uuid4()),
        phone=phone or f"+98912{number:07d}",
        marketing_consent=said,
        consent_source=source,
    )


@pytest.mark.parametrize(("mode", "source", "said", "allowed"), MATRIX)
async def test_queue_sms_follows_the_consent_matrix(
    db: None, mode: str, source: str, said: bool, allowed: bool
) -> None:
    """Marketing is queued exactly when the matrix allows it, suppressed otherwise with the reason."""
    # given
    tenant = await a_store(mode=mode)
    customer = await a_customer(tenant, source=source, said=said)
    # when
    message = await messaging.queue_sms(
        tenant=tenant, customer=customer, origin_key="m", purpose="marketing", body="x", now=NOW
    )
    # then
    assert message.status == ("queued" if allowed else "suppressed")
    if not allowed:
        assert message.policy_reason == ("no_consent" if said else "opted_out")


async def test_the_segment_field_and_the_reachable_count_follow_the_same_matrix(db: None) -> None:
    """One customer per row of the matrix in an opt-in and an opt-out store: marketing_consent = true
    selects exactly the allowed ones, false the rest, and reachable counts the allowed ones."""
    for mode in ("opt_in", "opt_out"):
        # given
        tenant = await a_store(mode=mode)
        expected: set[str] = set()
        for row_mode, source, said, allowed in MATRIX:
            if row_mode != mode:
                continue
            customer = await a_customer(tenant, source=source, said=said)
            if allowed:
                expected.add(str(customer.id))
        # when
        yes = await preview(tenant_id=tenant.id, definition=CONSENTING, now=NOW, sample=100)
        no = await preview(tenant_id=tenant.id, definition=REFUSING, now=NOW, sample=100)
        everyone = await preview(tenant_id=tenant.id, definition=EVERYONE, now=NOW)
        # then
        assert {str(c.id) for c in yes.sample} == expected, mode
        assert yes.matching + no.matching == everyone.matching
        assert everyone.reachable == yes.reachable == len(expected)


async def test_a_suppressed_phone_leaves_the_segment_and_the_reachable_count(db: None) -> None:
    """A customer who texted «۱۱» no longer counts as consenting, in segments or previews."""
    # given
    tenant = await a_store(mode="opt_out")
    customer = await a_customer(tenant, source="store", said=True, phone="+989121110000")
    await a_customer(tenant, source="unknown", said=True)
    # when
    await suppressions.record_inbound(
        tenant_id=tenant.id, phone="+989121110000", body="لغو", received_at=NOW, source="test"
    )
    yes = await preview(tenant_id=tenant.id, definition=CONSENTING, now=NOW, sample=100)
    # then
    assert str(customer.id) not in {str(c.id) for c in yes.sample}
    assert (yes.matching, yes.reachable) == (1, 1)


@pytest.mark.parametrize(
    ("country", "mode"), [("IR", "opt_out"), ("GB", "opt_in"), ("US", "opt_in"), ("DE", "opt_in")]
)
async def test_a_store_that_has_not_chosen_follows_its_country(db: None, country: str, mode: str) -> None:
    """Iran's norm is opt-out; the others here need a yes first. An unknown customer follows it."""
    # given
    tenant = await a_store(mode=None, country=country)
    customer = await a_customer(tenant, source="unknown", said=True)
    # when
    allowed = consent.allows_marketing(customer=customer, consent_mode=consent.mode(tenant))
    # then
    assert (default_consent_mode(country), consent.mode(tenant)) == (mode, mode)
    assert allowed is (mode == "opt_out")


def test_a_store_that_chose_wins_over_its_country() -> None:
    """An Iranian store may ask first; a British one may not be told otherwise by its country."""
    assert consent.mode(Tenant(country="IR", consent_mode="opt_in")) == "opt_in"
    assert consent.mode(Tenant(country="GB", consent_mode="opt_out")) == "opt_out"


def test_a_new_customer_who_never_said_is_unknown_and_one_who_said_is_the_stores_word() -> None:
    """An event without marketing_consent leaves consent unknown; a yes or a no is stamped as the
    store's, even a yes equal to the default, and a later silence keeps it."""
    # given
    batch = CustomerBatch(uuid4(), ())
    # when
    silent, _ = batch.upsert(CustomerIn(external_id="a"), now=NOW)
    said_yes, _ = batch.upsert(CustomerIn(external_id="b", marketing_consent=True), now=NOW)
    said_no, _ = batch.upsert(CustomerIn(external_id="c", marketing_consent=False), now=NOW)
    later, _ = batch.upsert(CustomerIn(external_id="b"), now=datetime(2027, 1, 1, tzinfo=UTC))
    # then
    assert (silent.consent_source, silent.consent_changed_at) == ("unknown", None)
    assert (said_yes.marketing_consent, said_yes.consent_source, said_yes.consent_changed_at) == (
        True,
        "store",
        NOW,
    )
    assert (said_no.marketing_consent, said_no.consent_source) == (False, "store")
    assert (later.consent_source, later.consent_changed_at) == ("store", NOW)


def test_a_returning_customer_who_first_says_yes_becomes_the_stores_yes() -> None:
    """An unknown customer whose next event says yes is stamped once; saying it again changes nothing."""
    # given
    batch = CustomerBatch(uuid4(), ())
    batch.upsert(CustomerIn(external_id="a"), now=NOW)
    # when
    row, _ = batch.upsert(CustomerIn(external_id="a", marketing_consent=True), now=NOW)
    again, _ = batch.upsert(
        CustomerIn(external_id="a", marketing_consent=True), now=datetime(2027, 1, 1, tzinfo=UTC)
    )
    # then
    assert (row.consent_source, again.consent_changed_at) == ("store", NOW)


@pytest.mark.parametrize("value", ["", "OPT_IN", "opt-in", "optin\x00", "x" * 10_000])
def test_an_unknown_consent_mode_is_refused(value: str) -> None:
    """Only opt_in, opt_out or none (follow the country) are modes."""
    with pytest.raises(DomainError) as refused:
        consent.validate_mode(value)
    assert (refused.value.code, refused.value.field) == ("INVALID", "consentMode")


async def test_the_migration_makes_consent_nobody_recorded_unknown_and_keeps_every_recorded_answer(
    db: None,
) -> None:
    """Rows from before 0010 said "store" for everyone: those whose consent never changed (the default
    yes) become unknown; a recorded yes or no, and any no, stay the store's."""
    # given
    migration = importlib.import_module("migrations.0010_sending_policy")
    tenant = await a_store(mode=None)
    default_yes = await a_customer(tenant, source="store", said=True)
    recorded_yes = await a_customer(tenant, source="store", said=True)
    await Customer.filter(id=recorded_yes.id).update(consent_changed_at=NOW)
    unstamped_no = await a_customer(tenant, source="store", said=False)
    # when
    connection = Tortoise.get_connection("default")
    for statement in migration._NEVER_SAID:
        await connection.execute_query(statement)
    # then
    sources = {c.id: c.consent_source for c in await Customer.filter(tenant_id=tenant.id)}
    assert sources == {default_yes.id: "unknown", recorded_yes.id: "store", unstamped_no.id: "store"}
