"""setPlatformTariff and setTenantTariff: a platform admin's prices, from a moment on (never the past)."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

import strawberry

from domain.billing import tariffs
from graph.billing.types import BillingError, BillingErrorCode, Tariff
from graph.core.context import Info
from graph.core.errors import errors_as_data
from graph.core.ids import to_uuid
from graph.core.permissions import Can
from graph.core.scalars import Money

ADMIN = [Can("platform_tariffs", "write")]


@strawberry.input(description="A part price for one SMS provider (kavenegar, smsir, console).")
class ProviderPartPriceInput:
    provider: str
    part_price: Money


@strawberry.input(description="Prices in IRR, 0 to 10^12 each.")
class PlatformTariffInput:
    annual_fee: Money
    journey_run_price: Money
    sms_part_price: Money
    provider_part_prices: list[ProviderPartPriceInput] = strawberry.field(default_factory=list)
    effective_from: datetime | None = strawberry.field(
        default=None,
        description="With its UTC offset, now or later (default: now). The past is never re-priced.",
    )


@strawberry.input(description="A store's own prices in IRR; a price left null is the platform's.")
class TenantTariffInput:
    annual_fee: Money | None = None
    journey_run_price: Money | None = None
    sms_part_price: Money | None = None
    provider_part_prices: list[ProviderPartPriceInput] = strawberry.field(default_factory=list)
    effective_from: datetime | None = None


@strawberry.type
class SetTariffPayload:
    tariff: Tariff | None = strawberry.field(
        default=None, description="The prices now in effect for the scope."
    )
    errors: list[BillingError] = strawberry.field(default_factory=list)


def _provider_prices(prices: list[ProviderPartPriceInput]) -> dict[str, int]:
    return {price.provider: int(price.part_price) for price in prices}


def _actor(info: Info) -> UUID | None:
    principal = info.context.principal
    return principal.id if principal.kind == "user" else None


@strawberry.type
class SetTariffsMutation:
    @strawberry.mutation(
        description=(
            "Platform admins: set the platform's prices from `effectiveFrom` on. Every charge records "
            "the price it used, so nothing already charged changes. Setting the same moment again "
            "replaces prices that have not taken effect yet; TARIFF_IN_EFFECT once they have."
        ),
        permission_classes=ADMIN,
        extensions=errors_as_data(SetTariffPayload, BillingError, BillingErrorCode),
    )
    async def set_platform_tariff(self, info: Info, input: PlatformTariffInput) -> SetTariffPayload:
        await tariffs.set_platform_tariff(
            annual_fee=input.annual_fee,
            journey_run_price=input.journey_run_price,
            sms_part_price=input.sms_part_price,
            provider_part_prices=_provider_prices(input.provider_part_prices),
            effective_from=input.effective_from,
            actor_id=_actor(info),
        )
        return SetTariffPayload(
            tariff=Tariff.from_domain(await tariffs.platform_tariff(at=datetime.now(UTC)))
        )

    @strawberry.mutation(
        description="Platform admins: set a store's own prices from `effectiveFrom` on (as the platform's).",
        permission_classes=ADMIN,
        extensions=errors_as_data(SetTariffPayload, BillingError, BillingErrorCode),
    )
    async def set_tenant_tariff(
        self, info: Info, tenant_id: strawberry.ID, input: TenantTariffInput
    ) -> SetTariffPayload:
        scope = to_uuid(tenant_id, what="Store", field="tenantId")
        await tariffs.set_tenant_tariff(
            tenant_id=scope,
            annual_fee=input.annual_fee,
            journey_run_price=input.journey_run_price,
            sms_part_price=input.sms_part_price,
            provider_part_prices=_provider_prices(input.provider_part_prices),
            effective_from=input.effective_from,
            actor_id=_actor(info),
        )
        return SetTariffPayload(tariff=Tariff.from_domain(await tariffs.tenant_tariff(scope)))
