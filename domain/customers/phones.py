"""Phone numbers: Persian and Arabic digits in, E.164 out, masked in logs.

Stores hand us phones the way customers typed them: ``۰۹۱۲ ۱۲۳ ۴۵۶۷``, ``0912-123-4567``,
``00989121234567``, ``+98 912 123 4567``. Everything we store and send to is E.164 (``+989121234567``),
so two spellings of one number are one customer.
"""

from __future__ import annotations

import phonenumbers

from domain.errors import DomainError

_EASTERN_DIGITS = str.maketrans(
    "۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩",  # Persian (U+06F0..), then Arabic-Indic (U+0660..)
    "01234567890123456789",
)
# Invisible marks that right-to-left keyboards and copy-paste leave around numbers.
_INVISIBLE = dict.fromkeys(
    map(ord, "\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff"),
    None,
)
_MASK = "*" * 7
_VISIBLE_TAIL = 4


def normalise_digits(text: str) -> str:
    """Return ``text`` with Persian (۰-۹) and Arabic-Indic (٠-٩) digits replaced by ASCII 0-9.

    Everything else is left as it was: ``normalise_digits("۰۹۱۲-abc")`` is ``"0912-abc"``.
    """
    return text.translate(_EASTERN_DIGITS)


def normalise_phone(raw: str | None, default_region: str = "IR") -> str | None:
    """Return ``raw`` as an E.164 number such as ``+989121234567``, or ``None`` when it is empty.

    A number without a country code is read as a number of ``default_region`` (an ISO 3166 code,
    Iran unless the store says otherwise), so ``09121234567``, ``9121234567``, ``00989121234567``,
    ``+98 912 123 4567`` and ``۰۹۱۲۱۲۳۴۵۶۷`` all give ``+989121234567``.

    Raises ``DomainError("INVALID_PHONE", field="phone")`` when the text is not a valid number for
    its country (too short, too long, an unassigned range, letters). The message never repeats the
    number, so it is safe to log.
    """
    if raw is None:
        return None
    text = normalise_digits(raw).translate(_INVISIBLE).strip()
    if not text:
        return None
    try:
        number = phonenumbers.parse(text, default_region.upper())
    except phonenumbers.NumberParseException as exc:
        raise _invalid() from exc
    if not phonenumbers.is_valid_number(number):
        raise _invalid()
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def mask_phone(e164: str | None) -> str:
    """Return a phone number fit for logs: the country code and the last 4 digits, ``+98*******4567``.

    The mask is always seven stars, so it does not give away the number's length either. Input
    that is not E.164 is masked without a country code, and numbers too short to hide anything are
    masked completely. ``None`` or an empty string gives ``""``.
    """
    if not e164:
        return ""
    digits = "".join(ch for ch in normalise_digits(e164) if ch.isdigit())
    prefix = ""
    try:
        country_code = phonenumbers.parse(e164, None).country_code
    except phonenumbers.NumberParseException:
        country_code = None
    if country_code:
        prefix = f"+{country_code}"
        digits = digits.removeprefix(str(country_code))
    if len(digits) < 2 * _VISIBLE_TAIL:
        return prefix + _MASK
    return prefix + _MASK + digits[-_VISIBLE_TAIL:]


def _invalid() -> DomainError:
    return DomainError("INVALID_PHONE", "That is not a valid phone number.", field="phone")
