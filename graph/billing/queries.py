"""Billing queries: the store's wallet, its ledger, the prices that apply to it, and projected costs."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

import strawberry

from domain.billing import holds, plans, projection, tariffs, wallet
from domain.billing.models import Wallet as WalletModel
from domain.billing.models import WalletEntry as WalletEntryModel
from domain.tenancy import service as tenancy
from graph.billing.types import (
    JourneyCostProjection,
    PlanState,
    Tariff,
    Wallet,
    WalletEntry,
    WalletEntryKind,
    WalletHold,
)
from graph.core.context import Info
from graph.core.ids import optional_uuid
from graph.core.pagination import Connection, paginate
from graph.core.permissions import Can
from graph.core.scalars import Money

READ = [Can("billing", "read")]


async def load_wallet(tenant_id: UUID) -> Wallet:
    """The store's wallet as GraphQL shows it (a few one-row reads)."""
    tenant = await tenancy.get_tenant(tenant_id=tenant_id)
    sums = await wallet.balance(tenant_id)
    hold = await holds.on_hold(tenant_id)
    row = await WalletModel.get_or_none(tenant_id=tenant_id)
    threshold = tenant.low_balance_threshold
    return Wallet(
        balance=Money(sums.balance),
        reserved=Money(sums.reserved),
        available=Money(sums.available),
        currency="IRR",
        hold=WalletHold.from_domain(hold) if hold else None,
        owner_phone=tenant.owner_phone,
        low_balance_threshold=None if threshold is None else Money(threshold),
        low_balance_warned_at=row.low_balance_warned_at if row else None,
        plan=PlanState.from_domain(await plans.plan_state(tenant_id)),
    )


@strawberry.type
class BillingQuery:
    @strawberry.field(
        description="The store's wallet: balance, reserved and available IRR, its hold, threshold and plan.",
        permission_classes=READ,
    )
    async def wallet(self, info: Info, tenant_id: strawberry.ID | None = None) -> Wallet:
        return await load_wallet(info.context.require_tenant(optional_uuid(tenant_id)))

    @strawberry.field(
        description="The wallet's ledger, newest first; `kinds` keeps only lines of those kinds.",
        permission_classes=READ,
    )
    async def wallet_ledger(
        self,
        info: Info,
        tenant_id: strawberry.ID | None = None,
        first: int | None = None,
        after: str | None = None,
        kinds: list[WalletEntryKind] | None = None,
    ) -> Connection[WalletEntry]:
        scope = info.context.require_tenant(optional_uuid(tenant_id))
        entries = WalletEntryModel.filter(tenant_id=scope)
        if kinds is not None:
            entries = entries.filter(kind__in=[kind.value for kind in kinds])
        return await paginate(
            entries,
            first=first,
            after=after,
            cap=info.context.settings.page_size_cap,
            to_node=WalletEntry.from_model,
        )

    @strawberry.field(description="The prices that apply to this store now, in IRR.", permission_classes=READ)
    async def tariff(self, info: Info, tenant_id: strawberry.ID | None = None) -> Tariff:
        scope = info.context.require_tenant(optional_uuid(tenant_id))
        await tenancy.get_tenant(tenant_id=scope)
        return Tariff.from_domain(await tariffs.tenant_tariff(scope))

    @strawberry.field(
        description=(
            "What the store's active journeys will cost over the next `days` (1–366) at their rates of the "
            "last 30 days and the tariff now. INVALID_DAYS outside that range."
        ),
        permission_classes=READ,
    )
    async def projected_journey_cost(
        self, info: Info, days: int, tenant_id: strawberry.ID | None = None
    ) -> JourneyCostProjection:
        scope = info.context.require_tenant(optional_uuid(tenant_id))
        projected = await projection.projected_journey_cost(tenant_id=scope, days=days, now=datetime.now(UTC))
        return JourneyCostProjection.from_domain(projected)
