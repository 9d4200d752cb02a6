"""May a store send a customer marketing SMS: the customer's word, else the store's consent mode.

A customer's consent is ``marketing_consent`` with its ``consent_source``:

- ``unknown`` — they never said (the default, and every customer whose consent was never recorded).
  The store's *consent mode* decides: ``opt_out`` (the Iranian norm: marketing with «لغو۱۱» in every
  message until they object) lets marketing through, ``opt_in`` (the norm almost everywhere else)
  does not. A store that has not chosen follows its country
  (:func:`domain.tenancy.countries.default_consent_mode`).
- ``store`` or ``customer`` — an explicit yes or no, which wins over the mode either way.

A stored *no* is always a no, whatever its source says. On top of consent, a phone on the store's
suppression list (the customer texted «۱۱», or the owner added it) gets no marketing at all.

The same rule is read in three places, kept together here: :func:`allows_marketing` when one message
is queued, and :data:`MARKETING_ALLOWED_SQL` in the segment field ``marketing_consent`` and the
reachable count of previews.
"""

from __future__ import annotations

from typing import Final, Literal

from domain.customers.models import Customer
from domain.errors import DomainError
from domain.tenancy.countries import OPT_OUT_COUNTRIES, default_consent_mode
from domain.tenancy.models import Tenant

ConsentMode = Literal["opt_in", "opt_out"]
OPT_IN: Final = "opt_in"
OPT_OUT: Final = "opt_out"
MODES: Final = frozenset({OPT_IN, OPT_OUT})

UNKNOWN: Final = "unknown"
STORE: Final = "store"
CUSTOMER: Final = "customer"
SOURCES: Final = frozenset({UNKNOWN, STORE, CUSTOMER})


def mode(tenant: Tenant) -> str:
    """The store's consent mode: its own choice, else its country's norm."""
    return tenant.consent_mode or default_consent_mode(tenant.country)


def validate_mode(value: str | None) -> str | None:
    """``opt_in``, ``opt_out`` or None (follow the country); ``INVALID`` otherwise."""
    if value is not None and value not in MODES:
        raise DomainError("INVALID", "Consent mode is opt_in or opt_out.", field="consentMode")
    return value


def allows_marketing(*, customer: Customer, consent_mode: str) -> bool:
    """Whether the customer's consent (not the suppression list) lets marketing through."""
    return consents(
        said=customer.marketing_consent, source=customer.consent_source, consent_mode=consent_mode
    )


def consents(*, said: bool, source: str, consent_mode: str) -> bool:
    """The consent rule: a recorded no is no; a recorded yes is yes; someone who never said (``source``
    unknown) follows the store's mode — yes under opt-out, no under opt-in."""
    if not said:
        return False
    return source != UNKNOWN or consent_mode == OPT_OUT


def _countries_literal() -> str:
    if not all(len(code) == 2 and code.isascii() and code.isalpha() for code in OPT_OUT_COUNTRIES):
        raise AssertionError("OPT_OUT_COUNTRIES holds ISO 3166-1 alpha-2 codes only")
    return "ARRAY[" + ", ".join(f"'{code}'" for code in sorted(OPT_OUT_COUNTRIES)) + "]"


_STORE_MODE_SQL = (
    "(SELECT COALESCE(t.consent_mode, CASE WHEN t.country = ANY("
    + _countries_literal()
    + ") THEN 'opt_out' ELSE 'opt_in' END) FROM tenants AS t WHERE t.id = $1)"
)

MARKETING_ALLOWED_SQL: Final = (
    "(c.marketing_consent"
    f" AND (c.consent_source <> '{UNKNOWN}' OR {_STORE_MODE_SQL} = '{OPT_OUT}')"
    " AND NOT COALESCE(c.phone IN (SELECT s.phone FROM sms_suppressions AS s"
    " WHERE s.tenant_id = $1 AND s.lifted_at IS NULL), false))"
)
"""Whether customer ``c`` of store ``$1`` may get marketing: consent by the rule above, and the phone
not suppressed. Never NULL. The store's mode and the suppressed phones are each read once per
statement (an init plan and a hashed sub-plan), not once per customer. It holds no braces, so it may
sit in a statement that is later ``str.format``-ed."""
