"""Digits, money, templates and the marketing footer: what the customer actually reads."""

from __future__ import annotations

import pytest

from domain.errors import DomainError
from domain.messaging.formatting import (
    MARKETING_FOOTER,
    format_money,
    persian_digits,
    render_template,
    template_variables,
    validate_template,
    with_footer,
)

ALLOWED = {"first_name", "credit", "balance", "store"}


def test_persian_digits_replaces_ascii_and_arabic_digits_only() -> None:
    """Proves digits become Persian while letters and punctuation are untouched."""
    # given
    text = "Code 2024, ٣ items"

    # when
    converted = persian_digits(text)

    # then
    assert converted == "Code ۲۰۲۴, ۳ items"


@pytest.mark.parametrize(
    ("amount", "currency", "locale", "expected"),
    [
        (120_000, "IRR", "fa", "۱۲۰٬۰۰۰ ریال"),
        (12_000, "IRT", "fa", "۱۲٬۰۰۰ تومان"),
        (120_000, "IRR", "en", "120,000 IRR"),
        (12_000, "IRT", "en", "12,000 Toman"),
        (1_250, "USD", "en", "$12.50"),
        (1_250, "USD", "fa", "۱۲٫۵۰ دلار"),
        (5, "USD", "en", "$0.05"),
        (0, "IRT", "fa", "۰ تومان"),
        (1_234_567, "IRR", "fa-IR", "۱٬۲۳۴٬۵۶۷ ریال"),
        (12_000, "IRT", "ar", "١٢٬٠٠٠ تومان"),
    ],
)
def test_money_is_written_in_the_store_locale(amount: int, currency: str, locale: str, expected: str) -> None:
    """Proves minor units, digit shapes, separators and currency names per locale."""
    # given / when
    text = format_money(amount, currency, locale)

    # then
    assert text == expected


def test_unknown_currency_is_refused_rather_than_guessed() -> None:
    """Proves an amount is never printed with a made-up currency."""
    # given / when
    with pytest.raises(DomainError) as raised:
        format_money(100, "XYZ", "en")

    # then
    assert raised.value.code == "UNSUPPORTED_CURRENCY"


def test_template_placeholders_are_filled() -> None:
    """Proves each {name} is replaced by its value."""
    # given
    template = "{first_name} عزیز، {credit} اعتبار هدیه از {store}"

    # when
    text = render_template(template, {"first_name": "سارا", "credit": "۵۰٬۰۰۰ تومان", "store": "کتابکده"})

    # then
    assert text == "سارا عزیز، ۵۰٬۰۰۰ تومان اعتبار هدیه از کتابکده"


def test_rendering_an_unknown_variable_is_an_error() -> None:
    """Proves a placeholder without a value fails loudly instead of reaching a phone as '{coupon}'."""
    # given
    template = "Hi {first_name}, use {coupon}"

    # when
    with pytest.raises(DomainError) as raised:
        render_template(template, {"first_name": "Sara"})

    # then
    assert raised.value.code == "UNKNOWN_VARIABLE"
    assert raised.value.field == "template"


def test_double_braces_are_literal_braces() -> None:
    """Proves {{ and }} escape, and the text between them is not a placeholder."""
    # given
    template = "{{first_name}} is literal, {first_name} is not"

    # when
    text = render_template(template, {"first_name": "Sara"})

    # then
    assert text == "{first_name} is literal, Sara is not"


def test_values_are_not_parsed_as_templates() -> None:
    """Proves a customer name containing braces is inserted as is."""
    # given / when
    text = render_template("Hi {first_name}", {"first_name": "{store}"})

    # then
    assert text == "Hi {store}"


@pytest.mark.parametrize("template", ["Hi {first_name", "Hi first_name}", "Hi {first name}", "{}", "{0}"])
def test_malformed_braces_are_an_invalid_template(template: str) -> None:
    """Proves stray braces and non-identifier placeholders are reported, not passed through."""
    # given / when
    with pytest.raises(DomainError) as raised:
        render_template(template, {"first_name": "Sara"})

    # then
    assert raised.value.code == "INVALID_TEMPLATE"


def test_validate_template_accepts_allowed_variables() -> None:
    """Proves a template using only the context's variables passes validation."""
    # given
    template = "{first_name}، موجودی شما {balance} است"

    # when
    validate_template(template, ALLOWED)

    # then
    assert template_variables(template) == {"first_name", "balance"}


def test_validate_template_rejects_a_variable_the_context_does_not_offer() -> None:
    """Proves a typo is caught when the automation is saved, naming the field."""
    # given
    template = "{firstname} عزیز"

    # when
    with pytest.raises(DomainError) as raised:
        validate_template(template, ALLOWED)

    # then
    assert raised.value.code == "UNKNOWN_VARIABLE"
    assert raised.value.field == "template"
    assert "{firstname}" in raised.value.message


def test_validate_template_rejects_a_blank_template() -> None:
    """Proves an automation cannot be saved with nothing to send."""
    # given / when
    with pytest.raises(DomainError) as raised:
        validate_template("   ", ALLOWED)

    # then
    assert raised.value.code == "EMPTY_MESSAGE"


def test_marketing_messages_get_the_opt_out_footer() -> None:
    """Proves «لغو۱۱» is appended on its own line to marketing messages."""
    # given / when
    body = with_footer("تخفیف ویژه", "marketing")

    # then
    assert body == "تخفیف ویژه" + MARKETING_FOOTER
    assert body.endswith("\nلغو۱۱")


def test_the_footer_is_not_added_twice() -> None:
    """Proves a body that already ends with the footer (Persian or ASCII digits) is left alone."""
    # given
    once = with_footer("تخفیف ویژه", "marketing")

    # when / then
    assert with_footer(once, "marketing") == once
    assert with_footer("تخفیف ویژه\nلغو11", "marketing") == "تخفیف ویژه\nلغو11"


def test_transactional_messages_get_no_footer() -> None:
    """Proves order and credit notices are sent without the opt-out footer."""
    # given / when
    body = with_footer("سفارش شما ارسال شد", "transactional")

    # then
    assert body == "سفارش شما ارسال شد"


def test_an_unknown_purpose_is_refused() -> None:
    """Proves the footer rule cannot be skipped by a misspelt purpose."""
    # given / when
    with pytest.raises(DomainError) as raised:
        with_footer("hello", "promo")

    # then
    assert raised.value.code == "INVALID_PURPOSE"
