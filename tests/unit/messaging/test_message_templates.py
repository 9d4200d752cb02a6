"""Templates and prices: the variables a store may use, dates in the store's calendar (Jalali with
Persian month names and digits, Gregorian otherwise), money the store's way, and what a text costs."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from domain.errors import DomainError
from domain.messaging import pricing, templates
from domain.tenancy.models import Tenant

PERSIAN = Tenant(name="کتابکده", currency="IRT", locale="fa", calendar="jalali", timezone="Asia/Tehran")
ENGLISH = Tenant(name="Books", currency="GBP", locale="en", calendar="gregorian", timezone="Europe/London")
ARABIC = Tenant(name="مكتبة", currency="AED", locale="ar", calendar="gregorian", timezone="Asia/Dubai")


def test_the_contract_names_every_variable() -> None:
    """The nine variables journeys and campaigns may use."""
    assert {
        "first_name",
        "store",
        "credit",
        "balance",
        "coupon_code",
        "coupon_value",
        "coupon_expiry",
        "days_since_last_order",
        "link",
    } == templates.MESSAGE_VARIABLES
    assert set(templates.VARIABLE_DESCRIPTIONS) == templates.MESSAGE_VARIABLES


@pytest.mark.parametrize(
    ("moment", "tenant", "text"),
    [
        (date(2027, 3, 21), PERSIAN, "۱ فروردین ۱۴۰۶"),
        (date(2027, 3, 20), PERSIAN, "۲۹ اسفند ۱۴۰۵"),
        (date(2026, 12, 1), PERSIAN, "۱۰ آذر ۱۴۰۵"),
        (datetime(2027, 3, 20, 21, 0, tzinfo=UTC), PERSIAN, "۱ فروردین ۱۴۰۶"),  # 00:30 in Tehran
        (datetime(2027, 3, 20, 20, 0, tzinfo=UTC), PERSIAN, "۲۹ اسفند ۱۴۰۵"),  # 23:30 in Tehran
        (date(2027, 4, 15), ENGLISH, "15 April 2027"),
        (datetime(2027, 6, 30, 23, 30, tzinfo=UTC), ENGLISH, "1 July 2027"),  # 00:30 BST
        (date(2027, 4, 15), ARABIC, "١٥ أبريل ٢٠٢٧"),
    ],
)
def test_dates_are_written_in_the_stores_calendar_and_digits(
    moment: date | datetime, tenant: Tenant, text: str
) -> None:
    """A moment is read on the store's clock, then written day, month name, year."""
    assert templates.format_date(moment, tenant) == text


def test_a_persian_store_on_the_gregorian_calendar_gets_persian_names_of_gregorian_months() -> None:
    """The calendar is the store's setting; the language only names the months."""
    tenant = Tenant(name="x", currency="IRT", locale="fa", calendar="gregorian", timezone="Asia/Tehran")
    assert templates.format_date(date(2027, 4, 15), tenant) == "۱۵ آوریل ۲۰۲۷"


def test_an_english_jalali_store_gets_transliterated_month_names() -> None:
    tenant = Tenant(name="x", currency="IRT", locale="en", calendar="jalali", timezone="Asia/Tehran")
    assert templates.format_date(date(2027, 3, 21), tenant) == "1 Farvardin 1406"


def test_a_day_before_the_jalali_calendar_is_written_in_the_gregorian_one() -> None:
    """Year 500 has no Jalali date; it is written rather than failing the message."""
    assert templates.format_date(date(500, 1, 2), PERSIAN) == "۲ ژانویه ۵۰۰"


def test_facts_become_values_the_stores_way() -> None:
    """Money with the currency's name and digits, the expiry in the calendar, counts in the locale."""
    # given
    facts = templates.MessageFacts(
        first_name="سارا",
        credit=50_000,
        balance=1_250_000,
        coupon_code="WB7K-9QX2",
        coupon_value="۱۵٪",
        coupon_expiry=datetime(2027, 3, 27, 20, 0, tzinfo=UTC),
        days_since_last_order=1_200,
        link="https://example.com/r/x",
    )
    # when
    values = templates.variables(facts, PERSIAN)
    # then
    assert values == {
        "store": "کتابکده",
        "first_name": "سارا",
        "credit": "۵۰٬۰۰۰ تومان",
        "balance": "۱٬۲۵۰٬۰۰۰ تومان",
        "coupon_code": "WB7K-9QX2",
        "coupon_value": "۱۵٪",
        "coupon_expiry": "۷ فروردین ۱۴۰۶",
        "days_since_last_order": "۱٬۲۰۰",
        "link": "https://example.com/r/x",
    }


def test_a_fact_a_message_lacks_is_not_a_value() -> None:
    """Only the store's name is always known."""
    assert templates.variables(templates.MessageFacts(), ENGLISH) == {"store": "Books"}


def test_render_fills_known_values_and_names_what_is_wrong() -> None:
    """Unknown names are UNKNOWN_VARIABLE, known ones without a value MISSING_VALUE."""
    # given
    values = templates.variables(templates.MessageFacts(first_name="Sara", days_since_last_order=60), ENGLISH)
    # then
    assert (
        templates.render("{first_name}, {days_since_last_order} days! {store}", values)
        == "Sara, 60 days! Books"
    )
    with pytest.raises(DomainError) as unknown:
        templates.render("Hi {firstname}", values)
    with pytest.raises(DomainError) as missing:
        templates.render("Code {coupon_code}", values)
    with pytest.raises(DomainError) as malformed:
        templates.render("Hi {first_name", values)
    assert (unknown.value.code, missing.value.code, malformed.value.code) == (
        "UNKNOWN_VARIABLE",
        "MISSING_VALUE",
        "INVALID_TEMPLATE",
    )


def test_sample_facts_render_every_variable() -> None:
    """A preview can fill any template of the nine variables, in each language."""
    template = " ".join(f"{{{name}}}" for name in sorted(templates.MESSAGE_VARIABLES))
    for tenant in (PERSIAN, ENGLISH, ARABIC):
        facts = templates.sample_facts(tenant, now=datetime(2026, 12, 1, tzinfo=UTC))
        assert "{" not in templates.render(template, templates.variables(facts, tenant))


def test_marketing_is_priced_with_its_footer_and_transactional_as_it_is() -> None:
    """«لغو۱۱» makes any marketing text UCS-2; 161 GSM letters are two parts; price × parts."""
    assert pricing.estimate("Hello", "transactional", ENGLISH, price=1_500) == ("GSM-7", 1, 1_500)
    assert pricing.estimate("Hello", "marketing", ENGLISH, price=1_500) == ("UCS-2", 1, 1_500)
    assert pricing.estimate("a" * 161, "transactional", ENGLISH, price=1_500) == ("GSM-7", 2, 3_000)
    assert pricing.estimate("س" * 64, "marketing", PERSIAN, price=2) == ("UCS-2", 1, 2)  # 64 + 6 = 70
    assert pricing.estimate("س" * 65, "marketing", PERSIAN, price=2) == ("UCS-2", 2, 4)


@pytest.mark.parametrize(
    ("body", "purpose", "code"),
    [
        ("", "marketing", "EMPTY_MESSAGE"),
        ("  \n", "marketing", "EMPTY_MESSAGE"),
        ("x", "promo", "INVALID_PURPOSE"),
    ],
)
def test_a_blank_text_or_an_unknown_purpose_has_no_price(body: str, purpose: str, code: str) -> None:
    """The footer alone is not a message."""
    with pytest.raises(DomainError) as refused:
        pricing.estimate(body, purpose, PERSIAN)
    assert refused.value.code == code


def test_the_configured_part_price_is_the_servers_setting() -> None:
    """Without an override, the price is REVISIT_SMS_PART_PRICE, defaulting as the server's settings do."""
    from revisit.settings import Settings

    assert Settings.model_fields["sms_part_price"].default == pricing.DEFAULT_PART_PRICE
    assert pricing.estimate("x", "transactional", ENGLISH).cost_minor == pricing.part_price()
