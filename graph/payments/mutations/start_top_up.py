"""startTopUp: pay into the store's wallet through its gateway."""

from __future__ import annotations

from typing import Annotated

import strawberry
from tortoise.transactions import in_transaction

from domain.payments import topups
from domain.tenancy import service as tenancy
from graph.core.context import Info
from graph.core.ids import optional_uuid
from graph.core.scalars import Money
from graph.payments import gateways as configured
from graph.payments.types import WRITE, StartTopUpPayload, TopUp, top_up_errors


@strawberry.type
class StartTopUpMutation:
    @strawberry.mutation(
        description=(
            "Start a top-up of `amount` rials (IRR) and get the gateway's payment page: Zarinpal for stores "
            "in Iran, Stripe Checkout elsewhere. The wallet is credited once the gateway confirms the "
            "payment. `clientKey` makes retries safe: the same key answers the same top-up."
        ),
        permission_classes=WRITE,
        extensions=top_up_errors(),
    )
    async def start_top_up(
        self,
        info: Info,
        amount: Annotated[
            Money,
            strawberry.argument(
                description="Rials (IRR) to credit: a whole number within the platform's limits."
            ),
        ],
        client_key: Annotated[
            str,
            strawberry.argument(
                description=f"1 to {topups.MAX_CLIENT_KEY} characters the client chose for this top-up."
            ),
        ],
        tenant_id: strawberry.ID | None = None,
    ) -> StartTopUpPayload:
        scope = info.context.require_tenant(optional_uuid(tenant_id))
        settings = info.context.settings
        tenant = await tenancy.get_tenant(tenant_id=scope, field="tenantId")
        principal = info.context.principal
        async with configured.opened_gateways(settings) as gateways, in_transaction() as connection:
            top_up = await topups.start(
                connection,
                tenant=tenant,
                amount=amount,
                client_key=client_key,
                created_by=principal.id if principal.kind == "user" else None,
                gateways=gateways,
                limits=configured.limits(settings),
                urls=lambda top_up_id: configured.return_urls(settings, top_up_id),
            )
        return StartTopUpPayload(
            top_up=TopUp.from_model(top_up, settings=settings),
            payment_url=top_up.payment_url if top_up.status == "pending" else None,
        )
