"""releaseCredit: give back the credit held for an order the checkout did not place."""

from __future__ import annotations

from datetime import UTC, datetime

import strawberry
from tortoise.transactions import in_transaction

from domain.incentives import checkout
from graph.core.checkout import StoreMoney
from graph.core.context import Info
from graph.core.errors import errors_as_data
from graph.core.ids import optional_uuid
from graph.core.permissions import Can
from graph.incentives.types import CreditError, CreditErrorCode, CreditRelease, ReleaseCreditPayload


@strawberry.type
class ReleaseCreditMutation:
    @strawberry.mutation(
        description=(
            "Give back the credit held for an order, e.g. when the checkout was abandoned. What the order "
            "reports spending (creditUsed) stays spent while the order is live; cancel the order to give "
            "that back. Releasing again, or an order that held nothing, gives back 0."
        ),
        permission_classes=[Can("credit", "write")],
        extensions=errors_as_data(ReleaseCreditPayload, CreditError, CreditErrorCode),
    )
    async def release_credit(
        self, info: Info, order_external_id: str, tenant_id: strawberry.ID | None = None
    ) -> ReleaseCreditPayload:
        scope = info.context.require_tenant(optional_uuid(tenant_id))
        money = await StoreMoney.of(scope)
        async with in_transaction():
            release = await checkout.release(
                tenant_id=scope, order_external_id=order_external_id, now=datetime.now(UTC)
            )
        return ReleaseCreditPayload(release=CreditRelease.from_domain(release, money))
