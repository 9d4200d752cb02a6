"""Money as integers in minor units.

Stores send amounts in major units, as decimal strings (WooCommerce: ``"125000.00"``) or JSON
numbers. Revisit keeps every amount as an integer of the currency's minor unit (cents for USD, the
rial itself for IRR, the toman itself for IRT) next to its currency code, and never as a float.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation, localcontext
from types import MappingProxyType
from typing import Final

from domain.errors import DomainError

CURRENCY_EXPONENTS: Final[Mapping[str, int]] = MappingProxyType(
    {
        "IRR": 0,
        "IRT": 0,  # Toman, 10 IRR; not ISO 4217 but how most Persian stores price.
        "USD": 2,
        "EUR": 2,
        "GBP": 2,
        "AED": 2,
        "TRY": 2,
    }
)
"""Supported currencies and the number of decimal places of their minor unit."""

MAX_MINOR: Final = 2**63 - 1
"""The largest amount a ledger or order column can hold (a signed 64-bit integer)."""

Amount = Decimal | str | int | float
"""What ``to_minor`` accepts: a major-unit amount as a Decimal, a decimal string or a JSON number."""


def exponent(currency: str) -> int:
    """Return the number of decimal places of ``currency``'s minor unit (``USD`` → 2, ``IRR`` → 0).

    Raises ``DomainError("UNSUPPORTED_CURRENCY", field="currency")`` for a currency Revisit does not
    handle.
    """
    try:
        return CURRENCY_EXPONENTS[currency.strip().upper()]
    except KeyError:
        raise DomainError(
            "UNSUPPORTED_CURRENCY", f"Currency {currency!r} is not supported.", field="currency"
        ) from None


_SAFE_DIGITS: Final = len(str(MAX_MINOR)) - 1
"""Digits of a whole number of minor units that can never exceed ``MAX_MINOR``."""


def to_minor(
    amount: Amount,
    currency: str,
    *,
    allow_negative: bool = False,
    field: str = "amount",
    round_down: bool = False,
) -> int:
    """Convert a major-unit ``amount`` of ``currency`` to an integer of minor units, exactly.

    ``to_minor("125000.00", "IRT") == 125000``, ``to_minor("12.345", "USD") == 1235``. Strings and
    Decimals are converted without ever passing through a float; a float is read through its
    shortest ``str()`` form, so ``19.99`` means ``"19.99"``. Extra decimals are rounded half away
    from zero (``ROUND_HALF_UP``) to the currency's exponent, or towards zero with ``round_down`` (for
    limits that must never be exceeded: ``to_minor("1000.5", "IRT", round_down=True) == 1000``).

    Raises ``DomainError`` with ``field`` set to ``field``:

    - ``INVALID_AMOUNT`` for text that is not a plain decimal number (``"12,50"``, ``""``, ``"NaN"``),
      for a bool, for a negative amount unless ``allow_negative`` is true (refund deltas, ledger
      adjustments), and for an amount too large for a 64-bit column;
    - ``UNSUPPORTED_CURRENCY`` (field ``currency``) for a currency not in ``CURRENCY_EXPONENTS``.
    """
    places = exponent(currency)
    if isinstance(amount, Decimal):
        exact = _exact_minor(amount, places)
        if exact is not None:
            return exact
    value = _to_decimal(amount, field)
    if value < 0 and not allow_negative:
        raise DomainError("INVALID_AMOUNT", "The amount must not be negative.", field=field)
    if value.adjusted() + places > len(str(MAX_MINOR)):
        raise _too_large(field)
    with localcontext() as ctx:
        ctx.prec = 60  # ample for any amount that passed the size check: every step below is exact
        rounding = ROUND_DOWN if round_down else ROUND_HALF_UP
        minor = int(value.scaleb(places).quantize(Decimal(1), rounding=rounding))
    if abs(minor) > MAX_MINOR:
        raise _too_large(field)
    return minor


def _exact_minor(amount: Decimal, places: int) -> int | None:
    """The minor units of a non-negative, finite amount that needs no rounding and fits 64 bits;
    None for anything else, which the general path then converts or refuses."""
    sign, digits, power = amount.as_tuple()
    if sign or not isinstance(power, int) or len(digits) + power + places > _SAFE_DIGITS:
        return None
    beyond = -(power + places)  # decimals finer than a minor unit: exact only when all zero
    if beyond > 0 and any(digits[-beyond:]):
        return None
    return int(amount.scaleb(places))


def from_minor(minor: int, currency: str) -> Decimal:
    """Convert an integer of minor units back to a major-unit Decimal: ``from_minor(1235, "USD")`` is
    ``Decimal("12.35")``. The inverse of ``to_minor`` for amounts that needed no rounding."""
    return Decimal(minor).scaleb(-exponent(currency))


def _to_decimal(amount: Amount, field: str) -> Decimal:
    if isinstance(amount, bool) or not isinstance(amount, Decimal | str | int | float):
        raise DomainError("INVALID_AMOUNT", "The amount must be a number.", field=field)
    text = amount.strip() if isinstance(amount, str) else str(amount)
    try:
        value = amount if isinstance(amount, Decimal) else Decimal(text)
    except InvalidOperation:
        raise DomainError(
            "INVALID_AMOUNT", "The amount must be a decimal number such as 125000.00.", field=field
        ) from None
    if not value.is_finite():
        raise DomainError("INVALID_AMOUNT", "The amount must be a finite number.", field=field)
    return value


def _too_large(field: str) -> DomainError:
    return DomainError("INVALID_AMOUNT", "The amount is too large.", field=field)
