"""Phone numbers are stored in E.164 whatever digits and punctuation the customer typed."""

import pytest

from domain.customers.phones import mask_phone, normalise_digits, normalise_phone
from domain.errors import DomainError


def test_persian_and_arabic_indic_digits_become_ascii():
    """Both eastern digit sets map to 0-9 and nothing else in the text changes."""
    # given
    persian = "۰۱۲۳۴۵۶۷۸۹"
    arabic_indic = "٠١٢٣٤٥٦٧٨٩"

    # when
    results = normalise_digits(persian), normalise_digits(arabic_indic), normalise_digits("کد ۱۲-ab")

    # then
    assert results == ("0123456789", "0123456789", "کد 12-ab")


@pytest.mark.parametrize(
    "raw",
    [
        "09121234567",
        "۰۹۱۲۱۲۳۴۵۶۷",
        "٠٩١٢١٢٣٤٥٦٧",
        "9121234567",
        "00989121234567",
        "989121234567",
        "+98 912 123 4567",
        "0912-123-4567",
        "(0912) 123 4567",
        "  ۰۹۱۲ ۱۲۳ ۴۵۶۷\u200e ",
    ],
)
def test_every_spelling_of_an_iranian_mobile_normalises_to_one_e164_number(raw):
    """Local, international, spaced, dashed and Persian-digit forms are all the same number."""
    # when
    normalised = normalise_phone(raw)

    # then
    assert normalised == "+989121234567"


def test_number_without_country_code_is_read_in_the_default_region():
    """A store outside Iran passes its own region and gets its country code."""
    # when
    normalised = normalise_phone("(202) 555-0123", default_region="US")

    # then
    assert normalised == "+12025550123"


def test_number_with_country_code_ignores_the_default_region():
    """An explicit +country code wins over the store's region."""
    # when
    normalised = normalise_phone("+44 20 7946 0958", default_region="IR")

    # then
    assert normalised == "+442079460958"


@pytest.mark.parametrize("raw", [None, "", "   ", "\u200f"])
def test_empty_phone_is_none(raw):
    """No phone is not an error: guests and old accounts often have none."""
    # when
    normalised = normalise_phone(raw)

    # then
    assert normalised is None


@pytest.mark.parametrize("raw", ["12345", "0912123456", "091212345678", "not a phone", "+98", "۰۰۰"])
def test_invalid_phone_is_refused_with_a_phone_error(raw):
    """Too short, too long, letters or an unassigned range raise INVALID_PHONE on the phone field."""
    # when
    with pytest.raises(DomainError) as caught:
        normalise_phone(raw)

    # then
    assert caught.value.code == "INVALID_PHONE"
    assert caught.value.field == "phone"
    assert raw not in caught.value.message


def test_masked_phone_keeps_only_country_code_and_last_four_digits():
    """Logs can tell numbers apart without exposing them."""
    # when
    masked = mask_phone("+989121234567")

    # then
    assert masked == "+98*******4567"
    assert "912123" not in masked


def test_mask_has_the_same_width_for_numbers_of_different_lengths():
    """The mask does not reveal how long the hidden part is."""
    # when
    short, long = mask_phone("+12025550123"), mask_phone("+442079460958")

    # then
    assert short == "+1*******0123"
    assert long == "+44*******0958"


@pytest.mark.parametrize(
    ("value", "masked"), [(None, ""), ("", ""), ("09121234567", "*******4567"), ("+9812", "+98*******")]
)
def test_masking_never_fails_on_odd_input(value, masked):
    """Empty, local and too-short values are masked rather than raising inside a log call."""
    # when
    result = mask_phone(value)

    # then
    assert result == masked
