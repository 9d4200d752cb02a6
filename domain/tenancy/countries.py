"""A store's country: the region its customers' phone numbers belong to when they are written without
a country code (``0912…`` in Tehran, ``07700…`` in London).

A store may say its country; when it does not, the country of its time zone is taken (from the IANA
time zone database that ``tzdata`` ships), then the country of its currency where that currency has
only one.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

import phonenumbers

from domain.errors import DomainError

_SINGLE_COUNTRY_CURRENCIES = {"IRR": "IR", "IRT": "IR", "GBP": "GB", "USD": "US", "AED": "AE", "TRY": "TR"}


@cache
def _zone_countries() -> dict[str, str]:
    """Time zone name → ISO 3166-1 alpha-2 code, one country per zone (tzdata's ``zone.tab``)."""
    table = files("tzdata.zoneinfo").joinpath("zone.tab").read_text(encoding="utf-8")
    countries: dict[str, str] = {}
    for line in table.splitlines():
        if line and not line.startswith("#"):
            code, _coordinates, zone, *_ = line.split("\t")
            countries[zone] = code
    return countries


def validate_country(code: str) -> str:
    """``code`` upper-cased when it is a region phone numbers are known for; ``INVALID`` otherwise."""
    cleaned = code.strip().upper()
    if cleaned not in phonenumbers.SUPPORTED_REGIONS:
        raise DomainError(
            "INVALID", "Country must be an ISO 3166-1 alpha-2 code, such as IR or GB.", field="country"
        )
    return cleaned


def store_country(*, country: str | None, timezone: str, currency: str) -> str:
    """The store's country as it said it, else that of its time zone, else that of its currency."""
    if country is not None and country.strip():
        return validate_country(country)
    derived = _zone_countries().get(timezone) or _SINGLE_COUNTRY_CURRENCIES.get(currency)
    if derived is None:
        raise DomainError(
            "INVALID",
            f"Say the store's country: neither the time zone {timezone} nor the currency {currency} "
            "names one.",
            field="country",
        )
    return derived


OPT_OUT_COUNTRIES = frozenset({"IR"})
"""Countries where marketing SMS to a customer who never objected is the norm, with an opt-out in every
message («لغو۱۱» in Iran). Everywhere else (the GDPR and PECR in Europe and the UK, the TCPA in the US,
and most other SMS rules) marketing needs the customer's yes first."""


def default_consent_mode(country: str) -> str:
    """``opt_out`` for a country in :data:`OPT_OUT_COUNTRIES`, ``opt_in`` for every other."""
    return "opt_out" if country.upper() in OPT_OUT_COUNTRIES else "opt_in"
