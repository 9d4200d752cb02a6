"""What an SMS will cost before it is sent: its encoding, its parts and their price.

The text priced is the text that would go out: a marketing body gets the «لغو۱۱» footer first (which
also makes it UCS-2). Every store pays the platform's price per part, ``REVISIT_SMS_PART_PRICE``, in
rials (IRR) — the same setting segment previews use (``revisit.settings.Settings.sms_part_price``,
whose default this module shares).
"""

from __future__ import annotations

from functools import cache
from typing import Final, NamedTuple

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from domain.messaging.formatting import with_footer
from domain.messaging.parts import Encoding, count_parts
from domain.tenancy.models import Tenant

COST_CURRENCY: Final = "IRR"
DEFAULT_PART_PRICE: Final = 1_500


class Estimate(NamedTuple):
    """The body as sent travels in ``encoding`` as ``parts`` parts, costing ``cost_minor`` rials."""

    encoding: Encoding
    parts: int
    cost_minor: int


class _PricingSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REVISIT_", env_file=".env", extra="ignore")

    sms_part_price: int = Field(default=DEFAULT_PART_PRICE, ge=0)


@cache
def part_price() -> int:
    """The configured price of one SMS part, in rials (read once per process)."""
    return _PricingSettings().sms_part_price


def estimate(body: str, purpose: str, tenant: Tenant, *, price: int | None = None) -> Estimate:
    """Price ``body`` as it would be sent for ``purpose`` by ``tenant``'s line; ``price`` (rials per
    part) overrides the configured one. ``EMPTY_MESSAGE`` for a blank body (the footer alone is not a
    message), ``INVALID_PURPOSE`` for a purpose that is neither marketing nor transactional."""
    del tenant  # every store pays the platform's price today; the argument keeps callers ready
    text = with_footer(body, purpose)
    if not body.strip():
        text = ""
    parts = count_parts(text)
    return Estimate(parts.encoding, parts.parts, parts.parts * (part_price() if price is None else price))
