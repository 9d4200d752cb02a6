"""setBillingSettings: the owner's phone for billing notices and the low-balance threshold."""

from __future__ import annotations

import strawberry
from tortoise.transactions import in_transaction

from domain.billing import owner_settings
from graph.billing.queries import load_wallet
from graph.billing.types import BillingError, BillingErrorCode, Wallet
from graph.core.context import Info
from graph.core.errors import errors_as_data
from graph.core.ids import optional_uuid
from graph.core.permissions import Can
from graph.core.scalars import Money


@strawberry.type
class SetBillingSettingsPayload:
    wallet: Wallet | None = None
    errors: list[BillingError] = strawberry.field(default_factory=list)


@strawberry.type
class SetBillingSettingsMutation:
    @strawberry.mutation(
        description=(
            "Set where billing notices go and when the owner is warned of a low balance; a setting left out "
            "stays, null removes it. ownerPhone: a mobile number (read in the store's country without a "
            "country code), kept in E.164. lowBalanceThreshold: 0 to 10^15 IRR; a balance already below "
            "it warns at once."
        ),
        permission_classes=[Can("billing", "write")],
        extensions=errors_as_data(SetBillingSettingsPayload, BillingError, BillingErrorCode),
    )
    async def set_billing_settings(
        self,
        info: Info,
        owner_phone: str | None = strawberry.UNSET,
        low_balance_threshold: Money | None = strawberry.UNSET,
        tenant_id: strawberry.ID | None = None,
    ) -> SetBillingSettingsPayload:
        scope = info.context.require_tenant(optional_uuid(tenant_id))
        async with in_transaction():
            await owner_settings.set_billing_settings(
                tenant_id=scope,
                owner_phone=owner_settings.UNCHANGED if owner_phone is strawberry.UNSET else owner_phone,
                low_balance_threshold=owner_settings.UNCHANGED
                if low_balance_threshold is strawberry.UNSET
                else low_balance_threshold,
                actor_user_id=info.context.principal.id if info.context.principal.kind == "user" else None,
            )
        return SetBillingSettingsPayload(wallet=await load_wallet(scope))
