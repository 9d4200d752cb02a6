"""subscribeToPlan: pay as you go, or the annual plan charged from the wallet."""

from __future__ import annotations

import strawberry

from domain.billing import plans
from domain.billing.errors import InsufficientFunds
from graph.billing.queries import load_wallet
from graph.billing.types import BillingError, BillingErrorCode, Plan, Wallet
from graph.core.context import Info
from graph.core.errors import errors_as_data
from graph.core.ids import optional_uuid
from graph.core.permissions import Can
from graph.core.scalars import Money


@strawberry.type
class SubscribeToPlanPayload:
    wallet: Wallet | None = None
    errors: list[BillingError] = strawberry.field(default_factory=list)


@strawberry.type
class SubscribeToPlanMutation:
    @strawberry.mutation(
        description=(
            "Put the store on a plan. ANNUAL charges the annual fee in effect now from the wallet and covers "
            "every journey run started in the year that follows (SMS parts are always charged); it renews "
            "from the wallet at the period's end, and lapses to pay as you go if the wallet cannot pay then. "
            "INSUFFICIENT_FUNDS (with needed and available) when the wallet cannot pay now: nothing changes. "
            "PAY_AS_YOU_GO stops renewal; a paid period still covers its runs until it ends. clientKey "
            "(1–100 characters) makes a retry safe: the fee is charged once per key, never twice a period."
        ),
        permission_classes=[Can("billing", "write")],
        extensions=errors_as_data(SubscribeToPlanPayload, BillingError, BillingErrorCode),
    )
    async def subscribe_to_plan(
        self, info: Info, plan: Plan, client_key: str, tenant_id: strawberry.ID | None = None
    ) -> SubscribeToPlanPayload:
        scope = info.context.require_tenant(optional_uuid(tenant_id))
        try:
            await plans.subscribe(tenant_id=scope, plan=plan.value, client_key=client_key)
        except InsufficientFunds as refused:
            error = BillingError(
                code=BillingErrorCode.INSUFFICIENT_FUNDS,
                field="plan",
                message=refused.message,
                needed=Money(refused.needed),
                available=Money(refused.available),
            )
            return SubscribeToPlanPayload(errors=[error])
        return SubscribeToPlanPayload(wallet=await load_wallet(scope))
