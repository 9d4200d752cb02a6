"""checkTopUp: ask the gateway again about a pending top-up (the payer's browser never came back)."""

from __future__ import annotations

import strawberry

from graph.core.context import Info
from graph.core.ids import optional_uuid, to_uuid
from graph.payments import gateways as configured
from graph.payments.settling import settle_top_up
from graph.payments.types import WRITE, CheckTopUpPayload, TopUp, check_errors


@strawberry.type
class CheckTopUpMutation:
    @strawberry.mutation(
        description=(
            "Ask the gateway whether a pending top-up was paid, as its callback would: paid, it is "
            "credited (once); not paid (yet) or the gateway unreachable, it stays pending and `message` "
            "says why; another amount or an unknown payment fails it. A top-up no longer pending is "
            "answered as it is. For a payment whose browser never came back to Revisit."
        ),
        permission_classes=WRITE,
        extensions=check_errors(),
    )
    async def check_top_up(
        self, info: Info, id: strawberry.ID, tenant_id: strawberry.ID | None = None
    ) -> CheckTopUpPayload:
        scope = info.context.require_tenant(optional_uuid(tenant_id))
        top_up_id = to_uuid(id, what="Top-up")
        settings = info.context.settings
        async with configured.opened_gateways(settings) as gateways:
            settlement = await settle_top_up(
                top_up_id, gateways=gateways, wakeups=info.context.wakeups, tenant_id=scope, patient=True
            )
        return CheckTopUpPayload(
            top_up=TopUp.from_model(settlement.top_up, settings=settings), message=settlement.message
        )
