"""Message templates: the variables a store's SMS may use, and how their values look to the customer.

A template is text with ``{first_name}``-style placeholders (``{{`` and ``}}`` are literal braces),
checked when it is saved (:func:`validate_template`) and filled when a message is queued
(:func:`render`). Callers describe the facts (:class:`MessageFacts`: amounts in minor units, moments
as datetimes); :func:`variables` writes them the store's way:

- money with :func:`domain.messaging.formatting.format_money` (``۵۰٬۰۰۰ تومان``, ``$12.50``);
- dates in the store's calendar (:func:`format_date`): Jalali with Persian month names and Persian
  digits for a Jalali store (``۱۵ فروردین ۱۴۰۶``), Gregorian otherwise (``15 April 2027``);
- counts with the locale's digits (``۶۰``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Final
from zoneinfo import ZoneInfo

import jdatetime

from domain.errors import DomainError
from domain.messaging.formatting import (
    arabic_digits,
    format_money,
    persian_digits,
    render_template,
    template_variables,
    validate_template,
    with_footer,
)
from domain.messaging.parts import count_parts
from domain.messaging.pricing import estimate
from domain.tenancy.models import Tenant

__all__ = [
    "MESSAGE_VARIABLES",
    "MessageFacts",
    "TemplatePreview",
    "format_count",
    "format_date",
    "preview",
    "render",
    "sample_facts",
    "validate_template",
    "variables",
]

MESSAGE_VARIABLES: Final = frozenset(
    {
        "first_name",
        "store",
        "credit",
        "balance",
        "coupon_code",
        "coupon_value",
        "coupon_expiry",
        "days_since_last_order",
        "link",
    }
)
"""Every placeholder a store's SMS may use."""

VARIABLE_DESCRIPTIONS: Final[dict[str, str]] = {
    "first_name": "The customer's first name.",
    "store": "The store's name.",
    "credit": "The credit this message is about (e.g. the cashback just granted), as money.",
    "balance": "The customer's credit balance, as money.",
    "coupon_code": "The code of the coupon this journey issued.",
    "coupon_value": "What that coupon gives (15 %, 50,000 Toman, free shipping).",
    "coupon_expiry": "When that coupon expires, in the store's calendar.",
    "days_since_last_order": "Days since the customer's last order.",
    "link": "A link to the store.",
}

_JALALI_MONTHS_EN: Final = tuple(jdatetime.date.j_months_en)
_JALALI_MONTHS_FA: Final = tuple(jdatetime.date.j_months_fa)
_GREGORIAN_MONTHS: Final[dict[str, tuple[str, ...]]] = {
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
    "fa": (
        "ژانویه",
        "فوریه",
        "مارس",
        "آوریل",
        "مه",
        "ژوئن",
        "ژوئیه",
        "اوت",
        "سپتامبر",
        "اکتبر",
        "نوامبر",
        "دسامبر",
    ),
    "ar": (
        "يناير",
        "فبراير",
        "مارس",
        "أبريل",
        "مايو",
        "يونيو",
        "يوليو",
        "أغسطس",
        "سبتمبر",
        "أكتوبر",
        "نوفمبر",
        "ديسمبر",
    ),
}


def _language(tenant: Tenant) -> str:
    language = re.split(r"[-_]", tenant.locale, maxsplit=1)[0].lower()
    return language if language in _GREGORIAN_MONTHS else "en"


def _digits(text: str, language: str) -> str:
    if language == "fa":
        return persian_digits(text)
    if language == "ar":
        return arabic_digits(text)
    return text


def format_date(moment: date | datetime, tenant: Tenant) -> str:
    """``moment`` as the store's customers write a date: day, month name, year.

    A datetime is first read on the store's clock (a coupon expiring at 23:30 Tehran time expires on
    that Tehran day). A Jalali store gets the Jalali date (Persian month names for ``fa`` and ``ar``,
    transliterated for ``en``), every other store the Gregorian one; digits follow the locale. A day
    the Jalali calendar does not reach (before 622) is written in the Gregorian calendar.
    """
    day = moment.astimezone(ZoneInfo(tenant.timezone)).date() if isinstance(moment, datetime) else moment
    language = _language(tenant)
    if tenant.calendar == "jalali":
        try:
            jalali = jdatetime.date.fromgregorian(date=day)
        except (ValueError, OverflowError):
            jalali = None
        if jalali is not None:
            months = _JALALI_MONTHS_EN if language == "en" else _JALALI_MONTHS_FA
            return _digits(f"{jalali.day} {months[jalali.month - 1]} {jalali.year}", language)
    months = _GREGORIAN_MONTHS[language]
    return _digits(f"{day.day} {months[day.month - 1]} {day.year}", language)


def format_count(count: int, tenant: Tenant) -> str:
    """A whole number with the locale's digits and thousands separator (``۱٬۲۰۰``, ``1,200``)."""
    text = f"{count:,}"
    language = _language(tenant)
    if language == "en":
        return text
    return _digits(text.replace(",", "٬"), language)


@dataclass(frozen=True)
class MessageFacts:
    """What one message may say about its customer; None: this message has no such fact.

    Money in minor units of the store's currency; ``coupon_value`` already written for the store
    (:func:`domain.coupons.issuing.describe` gives it)."""

    first_name: str | None = None
    credit: int | None = None
    balance: int | None = None
    coupon_code: str | None = None
    coupon_value: str | None = None
    coupon_expiry: date | datetime | None = None
    days_since_last_order: int | None = None
    link: str | None = None


def variables(facts: MessageFacts, tenant: Tenant) -> dict[str, str]:
    """The template values of ``facts``, written the store's way; ``store`` is always there."""
    values = {"store": tenant.name}
    if facts.first_name is not None:
        values["first_name"] = facts.first_name
    if facts.credit is not None:
        values["credit"] = format_money(facts.credit, tenant.currency, tenant.locale)
    if facts.balance is not None:
        values["balance"] = format_money(facts.balance, tenant.currency, tenant.locale)
    if facts.coupon_code is not None:
        values["coupon_code"] = facts.coupon_code
    if facts.coupon_value is not None:
        values["coupon_value"] = facts.coupon_value
    if facts.coupon_expiry is not None:
        values["coupon_expiry"] = format_date(facts.coupon_expiry, tenant)
    if facts.days_since_last_order is not None:
        values["days_since_last_order"] = format_count(facts.days_since_last_order, tenant)
    if facts.link is not None:
        values["link"] = facts.link
    return values


_SAMPLE_NAMES: Final = {"fa": "سارا", "ar": "سارة", "en": "Sara"}
_SAMPLE_PERCENT: Final = {"fa": "۱۵٪", "ar": "١٥٪", "en": "15%"}
_SAMPLE_AMOUNTS: Final = {"IRR": (500_000, 1_200_000), "IRT": (50_000, 120_000)}


def sample_facts(tenant: Tenant, *, now: datetime) -> MessageFacts:
    """Plausible facts for previewing a template in the store's language, currency and calendar."""
    language = _language(tenant)
    credit, balance = _SAMPLE_AMOUNTS.get(tenant.currency.upper(), (1_000, 2_500))
    return MessageFacts(
        first_name=_SAMPLE_NAMES[language],
        credit=credit,
        balance=balance,
        coupon_code="WELCOME15",
        coupon_value=_SAMPLE_PERCENT[language],
        coupon_expiry=now + timedelta(days=7),
        days_since_last_order=60,
        link="https://example.com/r/AB12CD",
    )


def render(template: str, variables: Mapping[str, str]) -> str:
    """Fill every placeholder of ``template`` from ``variables``.

    ``UNKNOWN_VARIABLE`` for a name that is not in :data:`MESSAGE_VARIABLES`; ``MISSING_VALUE`` for
    one that is but has no value here (e.g. ``{coupon_code}`` in a journey that issued no coupon);
    ``INVALID_TEMPLATE`` for stray braces."""
    used = template_variables(template)
    unknown = sorted(used - MESSAGE_VARIABLES)
    if unknown:
        raise DomainError("UNKNOWN_VARIABLE", f"Unknown variable {{{unknown[0]}}}.", field="template")
    missing = sorted(used - set(variables))
    if missing:
        raise DomainError(
            "MISSING_VALUE", f"This message has no value for {{{missing[0]}}}.", field="template"
        )
    return render_template(template, variables)


MAX_TEMPLATE: Final = 1_000
"""The longest template, in characters (about 15 Persian SMS parts)."""
MAX_VALUE: Final = 500


@dataclass(frozen=True)
class TemplatePreview:
    """A template rendered with sample values, as it would be sent, and its price."""

    text: str
    encoding: str
    characters: int
    parts: int
    cost: int
    variables: list[str]


def preview(
    template: str,
    *,
    purpose: str,
    tenant: Tenant,
    now: datetime,
    values: Mapping[str, str] | None = None,
    price: int | None = None,
) -> TemplatePreview:
    """Render ``template`` with the store's sample facts (:func:`sample_facts`), ``values`` overriding
    them, add the footer a marketing text carries and price it (:func:`domain.messaging.pricing.estimate`).

    ``INVALID`` for a template over :data:`MAX_TEMPLATE` characters or a value over :data:`MAX_VALUE`;
    ``UNKNOWN_VARIABLE`` for a placeholder or a value name outside :data:`MESSAGE_VARIABLES`; and
    whatever :func:`validate_template` and :func:`render` refuse."""
    if len(template) > MAX_TEMPLATE:
        raise DomainError("INVALID", f"A template has at most {MAX_TEMPLATE} characters.", field="template")
    validate_template(template, MESSAGE_VARIABLES)
    given = dict(values or {})
    for name, value in given.items():
        if name not in MESSAGE_VARIABLES:
            raise DomainError("UNKNOWN_VARIABLE", f"Unknown variable {{{name}}}.", field="sampleValues")
        if len(value) > MAX_VALUE:
            raise DomainError("INVALID", f"A value has at most {MAX_VALUE} characters.", field="sampleValues")
    rendered = render(template, {**variables(sample_facts(tenant, now=now), tenant), **given})
    if not rendered.strip():
        raise DomainError(
            "EMPTY_MESSAGE", "The message is empty once its values are filled in.", field="template"
        )
    text = with_footer(rendered, purpose)
    cost = estimate(text, purpose, tenant, price=price)
    return TemplatePreview(
        text=text,
        encoding=cost.encoding,
        characters=count_parts(text).characters,
        parts=cost.parts,
        cost=cost.cost_minor,
        variables=sorted(template_variables(template)),
    )
