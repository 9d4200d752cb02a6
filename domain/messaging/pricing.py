"""What an SMS will cost before it is sent: its encoding, its parts and their price.

The text priced is the text that would go out: a marketing body gets the «لغو۱۱» footer first (which
also makes it UCS-2). A part costs what the store's tariff says now (:func:`tenant_part_price`, from
:mod:`domain.billing.tariffs`: the store's own price, else the platform's, else
``REVISIT_SMS_PART_PRICE`` — 1,500 rials (IRR) until an admin sets a tariff); previews, segment previews
and dry runs price with it, as delivery charges it.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Final, NamedTuple
from uuid import UUID

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from domain.billing import tariffs
from domain.messaging.formatting import with_footer
from domain.messaging.parts import Encoding, count_parts
from domain.tenancy.models import Tenant

COST_CURRENCY: Final = "IRR"
DEFAULT_PART_PRICE: Final = tariffs.DEFAULT_SMS_PART_PRICE


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
    """The configured price of one SMS part, in rials (read once per process): the platform's default
    until a tariff is set; what a store pays is :func:`tenant_part_price`."""
    return _PricingSettings().sms_part_price


async def tenant_part_price(tenant_id: UUID, *, at: datetime | None = None) -> int:
    """What one SMS part costs the store at ``at`` (default: now), in rials, by its tariff."""
    return (await tariffs.tenant_tariff(tenant_id, at=at)).part_price()


def estimate(body: str, purpose: str, tenant: Tenant, *, price: int | None = None) -> Estimate:
    """Price ``body`` as it would be sent for ``purpose`` by ``tenant``'s line; ``price`` (rials per
    part: the store's, :func:`tenant_part_price`) overrides the configured default. ``EMPTY_MESSAGE``
    for a blank body (the footer alone is not a message), ``INVALID_PURPOSE`` for a purpose that is
    neither marketing nor transactional."""
    del tenant  # the store's price is looked up (async) by the caller: tenant_part_price
    text = with_footer(body, purpose)
    if not body.strip():
        text = ""
    parts = count_parts(text)
    return Estimate(parts.encoding, parts.parts, parts.parts * (part_price() if price is None else price))
