"""Turning templates and amounts into the text a customer reads.

- :func:`persian_digits` and :func:`format_money` write numbers the way a store's locale does:
  Persian digits with the Arabic thousands separator «٬» for ``fa``, Arabic-Indic digits for ``ar``,
  ASCII with commas for ``en``. Money arrives as an integer in minor units (see DESIGN: never floats).
- :func:`render_template` fills ``{first_name}``-style placeholders; :func:`validate_template` checks a
  template against the variables its context offers, when an automation or campaign is saved, so
  a typo fails at save time instead of at 10:00 on send day. ``{{`` and ``}}`` are literal braces.
  Substituted values are inserted as they are, never parsed again.
- :func:`with_footer` adds the opt-out footer «لغو۱۱» that Iranian regulation requires on marketing SMS.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

from domain.errors import DomainError

PURPOSES = frozenset({"marketing", "transactional"})
MARKETING_FOOTER = "\nلغو۱۱"
_FOOTER_ENDINGS = ("لغو۱۱", "لغو11")

_ASCII_DIGITS = "0123456789"
_TO_PERSIAN = str.maketrans(_ASCII_DIGITS + "٠١٢٣٤٥٦٧٨٩", "۰۱۲۳۴۵۶۷۸۹" * 2)
_TO_ARABIC = str.maketrans(_ASCII_DIGITS + "۰۱۲۳۴۵۶۷۸۹", "٠١٢٣٤٥٦٧٨٩" * 2)
_ARABIC_THOUSANDS, _ARABIC_DECIMAL = "٬", "٫"


def persian_digits(text: str) -> str:
    """Replace ASCII and Arabic-Indic digits in ``text`` with Persian digits; leave the rest alone."""
    return text.translate(_TO_PERSIAN)


def arabic_digits(text: str) -> str:
    """Replace ASCII and Persian digits in ``text`` with Arabic-Indic digits; leave the rest alone."""
    return text.translate(_TO_ARABIC)


@dataclass(frozen=True)
class _Currency:
    exponent: int
    en: str  # "{amount}" is replaced by the formatted number
    fa: str
    ar: str


_CURRENCIES: dict[str, _Currency] = {
    "IRR": _Currency(0, "{amount} IRR", "{amount} ریال", "{amount} ريال"),
    "IRT": _Currency(0, "{amount} Toman", "{amount} تومان", "{amount} تومان"),
    "USD": _Currency(2, "${amount}", "{amount} دلار", "{amount} دولار"),
    "EUR": _Currency(2, "€{amount}", "{amount} یورو", "{amount} يورو"),
    "GBP": _Currency(2, "£{amount}", "{amount} پوند", "{amount} جنيه"),
    "AED": _Currency(2, "{amount} AED", "{amount} درهم", "{amount} درهم"),
    "TRY": _Currency(2, "{amount} TRY", "{amount} لیر", "{amount} ليرة"),
}


def format_money(amount_minor: int, currency: str, locale: str) -> str:
    """Write ``amount_minor`` (minor units of ``currency``) for a reader in ``locale`` (fa, en or ar).

    >>> format_money(120_000, "IRR", "fa")
    '۱۲۰٬۰۰۰ ریال'
    >>> format_money(1250, "USD", "en")
    '$12.50'

    IRR and IRT have no minor unit in use, so their minor unit is the rial or the toman itself.
    A regional locale such as ``fa-IR`` is read as its language. Unknown currencies or locales
    raise ``DomainError`` rather than print something a customer would misread.
    """
    spec = _CURRENCIES.get(currency.upper())
    if spec is None:
        raise DomainError("UNSUPPORTED_CURRENCY", f"Unsupported currency {currency}.", field="currency")
    language = re.split(r"[-_]", locale, maxsplit=1)[0].lower()
    if language not in {"fa", "en", "ar"}:
        raise DomainError("UNSUPPORTED_LOCALE", f"Unsupported locale {locale}.", field="locale")

    sign = "-" if amount_minor < 0 else ""
    whole, fraction = divmod(abs(amount_minor), 10**spec.exponent)
    number = f"{whole:,}" + (f".{fraction:0{spec.exponent}d}" if spec.exponent else "")
    if language == "en":
        return sign + spec.en.format(amount=number)
    number = number.replace(",", _ARABIC_THOUSANDS).replace(".", _ARABIC_DECIMAL)
    if language == "fa":
        return sign + spec.fa.format(amount=persian_digits(number))
    return sign + spec.ar.format(amount=arabic_digits(number))


# One token at a time: an escaped brace, a placeholder, or a stray brace (an error).
_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _tokens(template: str) -> Iterator[tuple[str, str]]:
    """Yield ``("text", literal)`` and ``("var", name)`` pieces; raise on malformed braces."""
    position = 0
    for match in _TOKEN.finditer(template):
        if match.start() > position:
            yield "text", template[position : match.start()]
        token, name = match.group(0), match.group(1)
        if token in ("{{", "}}"):
            yield "text", token[0]
        elif name is not None and _NAME.fullmatch(name):
            yield "var", name
        else:
            raise DomainError(
                "INVALID_TEMPLATE",
                f"{token!r} at position {match.start()} is not a placeholder such as {{first_name}}; "
                "write {{ or }} for a literal brace.",
                field="template",
            )
        position = match.end()
    if position < len(template):
        yield "text", template[position:]


def template_variables(template: str) -> set[str]:
    """The placeholder names ``template`` uses. Raises ``INVALID_TEMPLATE`` on malformed braces."""
    return {value for kind, value in _tokens(template) if kind == "var"}


def validate_template(template: str, allowed: AbstractSet[str]) -> None:
    """Check a template when it is saved: not blank, well-formed, and only ``allowed`` placeholders."""
    if not template.strip():
        raise DomainError("EMPTY_MESSAGE", "The message is empty.", field="template")
    unknown = template_variables(template) - set(allowed)
    if unknown:
        raise DomainError(
            "UNKNOWN_VARIABLE",
            f"Unknown variable {{{sorted(unknown)[0]}}}; available: "
            + ", ".join(f"{{{name}}}" for name in sorted(allowed)),
            field="template",
        )


def render_template(template: str, variables: Mapping[str, str]) -> str:
    """Fill every ``{name}`` in ``template`` from ``variables``; a name they lack is ``UNKNOWN_VARIABLE``."""
    pieces: list[str] = []
    for kind, value in _tokens(template):
        if kind == "text":
            pieces.append(value)
        elif value in variables:
            pieces.append(variables[value])
        else:
            raise DomainError("UNKNOWN_VARIABLE", f"Unknown variable {{{value}}}.", field="template")
    return "".join(pieces)


def with_footer(body: str, purpose: str) -> str:
    """Append the «لغو۱۱» opt-out footer to a marketing body, once; transactional bodies are unchanged."""
    if purpose not in PURPOSES:
        raise DomainError("INVALID_PURPOSE", f"Unknown message purpose {purpose!r}.", field="purpose")
    if purpose != "marketing":
        return body
    trimmed = body.rstrip()
    if trimmed.endswith(_FOOTER_ENDINGS):
        return body
    return trimmed + MARKETING_FOOTER
