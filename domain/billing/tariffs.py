"""Tariffs: what Revisit charges, by the moment a price takes effect.

The platform's tariff table (:class:`PlatformTariff`) holds an annual subscription fee, a price per journey
run started and a price per SMS part (optionally one per provider), each row in effect from its
``effective_from`` until a later row's. Until a platform admin sets a row, the tariff comes from the
settings: ``REVISIT_SMS_PART_PRICE`` (1,500 IRR), ``REVISIT_JOURNEY_RUN_PRICE`` (500 IRR) and
``REVISIT_ANNUAL_FEE`` (50,000,000 IRR). A store may have its own overrides (:class:`TenantTariff`), also
by effective date; a price it leaves null is the platform's.

A change never re-prices the past: a row may only take effect from now on, and every charge records the
price it used (:mod:`domain.billing.wallet`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any, Final, TypeVar
from uuid import UUID

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from tortoise.backends.base.client import BaseDBAsyncClient

from domain.billing.models import PlatformTariff, TenantTariff
from domain.errors import DomainError, NotFound
from domain.tenancy.models import Tenant

DEFAULT_SMS_PART_PRICE: Final = 1_500
DEFAULT_JOURNEY_RUN_PRICE: Final = 500
DEFAULT_ANNUAL_FEE: Final = 50_000_000
MAX_PRICE: Final = 10**12
"""The highest price (IRR) a tariff may name: a bound for money columns, far above any real price."""
PROVIDERS: Final = frozenset({"kavenegar", "smsir", "console"})
"""Providers a per-provider part price may name."""
_Row = TypeVar("_Row", PlatformTariff, TenantTariff)
PAST_TOLERANCE: Final = timedelta(minutes=1)
"""How far in the past ``effective_from`` may be (a clock's skew), so a change "from now" is accepted."""


class _TariffSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REVISIT_", env_file=".env", extra="ignore")

    sms_part_price: int = Field(default=DEFAULT_SMS_PART_PRICE, ge=0, le=MAX_PRICE)
    journey_run_price: int = Field(default=DEFAULT_JOURNEY_RUN_PRICE, ge=0, le=MAX_PRICE)
    annual_fee: int = Field(default=DEFAULT_ANNUAL_FEE, ge=0, le=MAX_PRICE)


@dataclass(frozen=True)
class Tariff:
    """The prices that apply to a store at one moment, in IRR, and where they came from."""

    annual_fee: int
    journey_run_price: int
    sms_part_price: int
    provider_part_prices: Mapping[str, int] = field(default_factory=dict)
    effective_from: datetime | None = None
    source: str = "settings"
    """``settings`` (no platform row yet), ``platform``, or ``store`` (the store has overrides)."""

    def part_price(self, provider: str | None = None) -> int:
        """One SMS part's price, through ``provider`` when it has its own."""
        if provider is not None and provider in self.provider_part_prices:
            return self.provider_part_prices[provider]
        return self.sms_part_price


@cache
def settings_tariff() -> Tariff:
    """The tariff the settings give (read once per process): the platform's until an admin sets one."""
    configured = _TariffSettings()
    return Tariff(
        annual_fee=configured.annual_fee,
        journey_run_price=configured.journey_run_price,
        sms_part_price=configured.sms_part_price,
    )


async def platform_tariff(
    *, at: datetime | None = None, connection: BaseDBAsyncClient | None = None
) -> Tariff:
    """The platform's tariff in effect at ``at`` (default: now)."""
    moment = at or datetime.now(UTC)
    query = PlatformTariff.filter(effective_from__lte=moment).order_by("-effective_from")
    row = await (query.using_db(connection) if connection else query).first()
    if row is None:
        return settings_tariff()
    return Tariff(
        annual_fee=row.annual_fee,
        journey_run_price=row.journey_run_price,
        sms_part_price=row.sms_part_price,
        provider_part_prices=dict(row.provider_part_prices),
        effective_from=row.effective_from,
        source="platform",
    )


async def tenant_tariff(
    tenant_id: UUID, *, at: datetime | None = None, connection: BaseDBAsyncClient | None = None
) -> Tariff:
    """The prices that apply to the store at ``at`` (default: now): its overrides over the platform's."""
    moment = at or datetime.now(UTC)
    platform = await platform_tariff(at=moment, connection=connection)
    query = TenantTariff.filter(tenant_id=tenant_id, effective_from__lte=moment).order_by("-effective_from")
    own = await (query.using_db(connection) if connection else query).first()
    if own is None:
        return platform
    return Tariff(
        annual_fee=platform.annual_fee if own.annual_fee is None else own.annual_fee,
        journey_run_price=platform.journey_run_price
        if own.journey_run_price is None
        else own.journey_run_price,
        sms_part_price=platform.sms_part_price if own.sms_part_price is None else own.sms_part_price,
        provider_part_prices={**platform.provider_part_prices, **own.provider_part_prices}
        if own.sms_part_price is None
        else dict(own.provider_part_prices),
        effective_from=max(own.effective_from, platform.effective_from or own.effective_from),
        source="store",
    )


async def set_platform_tariff(
    *,
    annual_fee: int,
    journey_run_price: int,
    sms_part_price: int,
    provider_part_prices: Mapping[str, int] | None = None,
    effective_from: datetime | None = None,
    actor_id: UUID | None = None,
    now: datetime | None = None,
) -> PlatformTariff:
    """Set the platform's prices from ``effective_from`` (default: now; never in the past).

    Setting the same moment again replaces a row that has not taken effect yet, returns one that has when
    the prices are the same (a retried request), and is ``TARIFF_IN_EFFECT`` otherwise.
    """
    moment = now or datetime.now(UTC)
    starts = _starts(effective_from, moment)
    prices: dict[str, Any] = {
        "annual_fee": _price(annual_fee, "annualFee"),
        "journey_run_price": _price(journey_run_price, "journeyRunPrice"),
        "sms_part_price": _price(sms_part_price, "smsPartPrice"),
        "provider_part_prices": _provider_prices(provider_part_prices),
    }
    existing = await PlatformTariff.get_or_none(effective_from=starts)
    if existing is None:
        return await PlatformTariff.create(effective_from=starts, created_by=actor_id, **prices)
    return await _replace(existing, prices, moment)


async def set_tenant_tariff(
    *,
    tenant_id: UUID,
    annual_fee: int | None,
    journey_run_price: int | None,
    sms_part_price: int | None,
    provider_part_prices: Mapping[str, int] | None = None,
    effective_from: datetime | None = None,
    actor_id: UUID | None = None,
    now: datetime | None = None,
) -> TenantTariff:
    """Set a store's own prices from ``effective_from`` (default: now; never in the past); a null price is
    the platform's. The same rules for a repeated moment as :func:`set_platform_tariff`."""
    if not await Tenant.exists(id=tenant_id):
        raise NotFound("Store", field="tenantId")
    moment = now or datetime.now(UTC)
    starts = _starts(effective_from, moment)
    prices: dict[str, Any] = {
        "annual_fee": None if annual_fee is None else _price(annual_fee, "annualFee"),
        "journey_run_price": None
        if journey_run_price is None
        else _price(journey_run_price, "journeyRunPrice"),
        "sms_part_price": None if sms_part_price is None else _price(sms_part_price, "smsPartPrice"),
        "provider_part_prices": _provider_prices(provider_part_prices),
    }
    existing = await TenantTariff.get_or_none(tenant_id=tenant_id, effective_from=starts)
    if existing is None:
        return await TenantTariff.create(
            tenant_id=tenant_id, effective_from=starts, created_by=actor_id, **prices
        )
    return await _replace(existing, prices, moment)


async def _replace(row: _Row, prices: Mapping[str, object], now: datetime) -> _Row:
    same = all(getattr(row, name) == value for name, value in prices.items())
    if same:
        return row
    if row.effective_from <= now:
        raise DomainError(
            "TARIFF_IN_EFFECT",
            "These prices are already in effect; set new ones from a later moment.",
            field="effectiveFrom",
        )
    row.update_from_dict(dict(prices))
    await row.save()
    return row


def _starts(effective_from: datetime | None, now: datetime) -> datetime:
    if effective_from is None:
        return now
    if effective_from.tzinfo is None:
        raise DomainError("INVALID_DATE", "effectiveFrom needs a time zone.", field="effectiveFrom")
    if effective_from < now - PAST_TOLERANCE:
        raise DomainError(
            "PAST_EFFECTIVE_FROM",
            "A tariff takes effect from now on; the past is never re-priced.",
            field="effectiveFrom",
        )
    return effective_from


def _price(value: int, field_name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_PRICE:
        raise DomainError(
            "INVALID_PRICE", f"A price is a whole number of IRR from 0 to {MAX_PRICE}.", field=field_name
        )
    return value


def _provider_prices(prices: Mapping[str, int] | None) -> dict[str, int]:
    checked: dict[str, int] = {}
    for provider, price in (prices or {}).items():
        if provider not in PROVIDERS:
            raise DomainError(
                "INVALID_PROVIDER", f"{provider!r} is not an SMS provider.", field="providerPartPrices"
            )
        checked[provider] = _price(price, "providerPartPrices")
    return checked
