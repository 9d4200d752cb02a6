"""Amounts arrive in major units as strings or numbers and are kept as exact integer minor units."""

from decimal import Decimal

import pytest

from domain.commerce.money import CURRENCY_EXPONENTS, MAX_MINOR, from_minor, to_minor
from domain.errors import DomainError


def test_supported_currencies_have_their_minor_unit_exponents():
    """Rial and toman have no minor unit; the others have cents."""
    # then
    assert dict(CURRENCY_EXPONENTS) == {
        "IRR": 0,
        "IRT": 0,
        "USD": 2,
        "EUR": 2,
        "GBP": 2,
        "AED": 2,
        "TRY": 2,
    }


def test_woocommerce_toman_string_converts_to_whole_tomans():
    """WooCommerce's "125000.00" in IRT is 125000 minor units."""
    # when
    minor = to_minor("125000.00", "IRT")

    # then
    assert minor == 125000


def test_extra_decimals_round_half_up_to_the_currency_exponent():
    """USD keeps two places: 12.345 becomes 1235 cents, 12.344 becomes 1234."""
    # when
    up, down = to_minor("12.345", "USD"), to_minor("12.344", "USD")

    # then
    assert (up, down) == (1235, 1234)


def test_rial_amount_with_half_rial_rounds_up():
    """Currencies without a minor unit round to whole units, half up."""
    # when
    minor = to_minor("1000.5", "IRR")

    # then
    assert minor == 1001


@pytest.mark.parametrize(
    ("amount", "minor"), [(19.99, 1999), (0.1, 10), (1.005, 101), (2.675, 268), (100, 10000), (0.0, 0)]
)
def test_floats_and_ints_convert_through_their_decimal_text_without_binary_error(amount, minor):
    """A float is read as the decimal it prints as, so 2.675 is 268 cents, not 267."""
    # when
    result = to_minor(amount, "USD")

    # then
    assert result == minor


def test_decimal_and_padded_string_are_accepted():
    """Decimals pass through exactly and whitespace around a string is ignored."""
    # when
    results = to_minor(Decimal("7.10"), "EUR"), to_minor("  7.1 ", "EUR")

    # then
    assert results == (710, 710)


def test_currency_code_is_case_insensitive():
    """Lower-case codes from plugins mean the same currency."""
    # when
    minor = to_minor("5", "usd")

    # then
    assert minor == 500


def test_negative_amount_is_refused_by_default():
    """Order totals and payments are never negative, so a negative one is a bad amount."""
    # when
    with pytest.raises(DomainError) as caught:
        to_minor("-5.00", "USD")

    # then
    assert caught.value.code == "INVALID_AMOUNT"
    assert caught.value.field == "amount"


def test_negative_amount_is_allowed_when_the_caller_says_so():
    """Adjustments may be negative; rounding is half away from zero."""
    # when
    minor = to_minor("-12.345", "USD", allow_negative=True)

    # then
    assert minor == -1235


def test_error_names_the_field_the_caller_passed():
    """Callers converting several amounts get errors pointing at the right one."""
    # when
    with pytest.raises(DomainError) as caught:
        to_minor("-1", "IRT", field="discount_total")

    # then
    assert caught.value.field == "discount_total"


@pytest.mark.parametrize(
    "amount", ["", "abc", "125,000", "NaN", "Infinity", float("nan"), float("inf"), True]
)
def test_text_that_is_not_a_plain_finite_number_is_refused(amount):
    """Thousands separators, words, NaN, infinity and booleans are not amounts."""
    # when
    with pytest.raises(DomainError) as caught:
        to_minor(amount, "USD")

    # then
    assert caught.value.code == "INVALID_AMOUNT"


def test_amount_too_large_for_a_64_bit_column_is_refused():
    """Nothing larger than a BIGINT column holds gets through."""
    # given
    largest_usd = from_minor(MAX_MINOR, "USD")

    # when
    fits = to_minor(largest_usd, "USD")
    with pytest.raises(DomainError) as caught:
        to_minor(largest_usd + Decimal("0.01"), "USD")

    # then
    assert fits == MAX_MINOR
    assert caught.value.code == "INVALID_AMOUNT"


def test_unknown_currency_is_refused():
    """Only currencies with a known exponent can be converted."""
    # when
    with pytest.raises(DomainError) as caught:
        to_minor("10", "XYZ")

    # then
    assert caught.value.code == "UNSUPPORTED_CURRENCY"
    assert caught.value.field == "currency"


def test_minor_units_convert_back_to_major_units():
    """from_minor is the inverse of to_minor for amounts that needed no rounding."""
    # when
    usd, irt = from_minor(1235, "USD"), from_minor(125000, "IRT")

    # then
    assert (usd, irt) == (Decimal("12.35"), Decimal("125000"))
    assert to_minor(usd, "USD") == 1235
