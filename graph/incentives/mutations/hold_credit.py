"""holdCredit: take credit from a customer's balance for an order being placed."""

from __future__ import annotations

from datetime import UTC, datetime

import strawberry
from tortoise.transactions import in_transaction

from domain.incentives import checkout
from graph.core.checkout import CustomerRefInput, StoreMoney
from graph.core.context import Info
from graph.core.errors import errors_as_data
from graph.core.ids import optional_uuid
from graph.core.permissions import Can
from graph.incentives.types import AMOUNT_HELP, CreditError, CreditErrorCode, CreditHold, HoldCreditPayload


@strawberry.input(description="Credit a checkout wants to spend on an order.")
class HoldCreditInput:
    order_external_id: str = strawberry.field(description="The store's id of the order being placed.")
    customer: CustomerRefInput
    amount: str = strawberry.field(description=f"How much to hold. {AMOUNT_HELP}")
    currency: str = strawberry.field(description="The store's currency, e.g. IRT.")


@strawberry.type
class HoldCreditMutation:
    @strawberry.mutation(
        description=(
            "Take credit from the customer's available balance for an order being placed, at once and "
            "under a lock, so two checkouts never spend the same credit. Once per order: asking again "
            "returns what the order holds and takes nothing more. The order's events later settle the "
            "hold with the order's creditUsed; a cancelled or failed order, or releaseCredit, gives it "
            "back. INSUFFICIENT_CREDIT says how much the customer does have. An amount finer than the "
            "currency's minor unit is rounded down, so a hold never takes more than was asked."
        ),
        permission_classes=[Can("credit", "write")],
        extensions=errors_as_data(HoldCreditPayload, CreditError, CreditErrorCode),
    )
    async def hold_credit(
        self, info: Info, input: HoldCreditInput, tenant_id: strawberry.ID | None = None
    ) -> HoldCreditPayload:
        scope = info.context.require_tenant(optional_uuid(tenant_id))
        money = await StoreMoney.of(scope, currency=input.currency)
        amount = money.minor(input.amount, field="amount", round_down=True)
        try:
            async with in_transaction():
                hold = await checkout.hold(
                    tenant_id=scope,
                    customer_in=input.customer.to_customer_in(country=money.country),
                    order_external_id=input.order_external_id,
                    amount=amount,
                    now=datetime.now(UTC),
                )
        except checkout.InsufficientCredit as exc:
            # The one error that carries data beyond its message: what the customer can spend instead.
            error = CreditError(
                code=CreditErrorCode.INSUFFICIENT_CREDIT,
                field=exc.field,
                message=exc.message,
                available=money.major(exc.available),
            )
            return HoldCreditPayload(errors=[error])
        return HoldCreditPayload(hold=CreditHold.from_domain(hold, money))
