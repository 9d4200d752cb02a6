"""adjustCredit: the store grants or deducts a customer's credit by hand, with a reason, audited."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import Enum

import strawberry
from tortoise.transactions import in_transaction

from domain.errors import DomainError
from domain.incentives import adjustments, ledger
from domain.incentives.checkout import InsufficientCredit
from graph.core.checkout import StoreMoney
from graph.core.context import Info
from graph.core.errors import errors_as_data
from graph.core.ids import optional_uuid, to_uuid
from graph.core.permissions import Can
from graph.core.scalars import Money
from graph.incentives.types import AMOUNT_HELP, CreditAccount, CreditEntry, CreditError, CreditErrorCode


@strawberry.enum(description="Whether an adjustment gives credit or takes it.")
class CreditAdjustmentDirection(Enum):
    GRANT = "grant"
    DEDUCT = "deduct"


@strawberry.input(description="A manual change to a customer's credit.")
class AdjustCreditInput:
    customer_id: strawberry.ID
    direction: CreditAdjustmentDirection
    amount: str = strawberry.field(
        description=(
            f"How much to grant or deduct, more than zero. {AMOUNT_HELP} What is finer than the "
            "currency's minor unit is dropped."
        )
    )
    currency: str = strawberry.field(description="The store's currency, e.g. IRT.")
    reason: str = strawberry.field(
        description="Why, as the ledger and the audit trail will show it: 1–255 characters, one line."
    )
    idempotency_key: str = strawberry.field(
        description=(
            "A key of your choosing for this adjustment (1–100 printable ASCII characters, no spaces). "
            "Sending the same adjustment again with it changes nothing; a different one with it is "
            "refused with IDEMPOTENCY_KEY_REUSED."
        )
    )
    expires_at: datetime | None = strawberry.field(
        default=None, description="For a grant: when the credit expires (in the future). None: never."
    )


@strawberry.type
class AdjustCreditPayload:
    entry: CreditEntry | None = strawberry.field(default=None, description="The ledger line written.")
    account: CreditAccount | None = strawberry.field(default=None, description="The balances after it.")
    repeated: bool = strawberry.field(
        default=False, description="True when the key had been used: nothing new was written."
    )
    errors: list[CreditError] = strawberry.field(default_factory=list)


@strawberry.type
class AdjustCreditMutation:
    @strawberry.mutation(
        description=(
            "Grant or deduct a customer's credit by hand, with a reason. A grant is spendable at once; "
            "a deduction never takes the available balance below zero (INSUFFICIENT_CREDIT says what "
            "is available; pending credit cannot be deducted). Every adjustment is written to the "
            "store's audit trail with who made it. Signed-in store staff only: store keys cannot adjust."
        ),
        permission_classes=[Can("credit_adjustments", "write")],
        extensions=errors_as_data(AdjustCreditPayload, CreditError, CreditErrorCode),
    )
    async def adjust_credit(
        self, info: Info, input: AdjustCreditInput, tenant_id: strawberry.ID | None = None
    ) -> AdjustCreditPayload:
        scope = info.context.require_tenant(optional_uuid(tenant_id))
        principal = info.context.principal
        if principal.kind != "user" or principal.id is None:
            raise DomainError("INVALID", "Only a signed-in person can adjust credit.", field=None)
        money = await StoreMoney.of(scope, currency=input.currency)
        amount = money.minor(input.amount, field="amount", round_down=True)
        if amount <= 0:
            raise DomainError("INVALID", "Adjust by an amount more than zero.", field="amount")
        if input.expires_at is not None and input.expires_at.utcoffset() is None:
            raise DomainError("INVALID", "Give the expiry with its UTC offset.", field="expiresAt")
        signed = amount if input.direction is CreditAdjustmentDirection.GRANT else -amount
        customer_id = to_uuid(input.customer_id, what="Customer", field="customerId")
        try:
            async with in_transaction():
                done = await adjustments.adjust(
                    tenant_id=scope,
                    customer_id=customer_id,
                    amount=signed,
                    reason=input.reason,
                    idempotency_key=input.idempotency_key,
                    actor_user_id=principal.id,
                    now=datetime.now(UTC),
                    expires_at=input.expires_at,
                )
        except InsufficientCredit as exc:
            error = CreditError(
                code=CreditErrorCode.INSUFFICIENT_CREDIT,
                field=exc.field,
                message=exc.message,
                available=money.major(exc.available),
            )
            return AdjustCreditPayload(errors=[error])
        return AdjustCreditPayload(
            entry=CreditEntry.from_model(done.entry),
            account=_account(customer_id=input.customer_id, balances=done.balances, currency=money.currency),
            repeated=done.repeated,
        )


def _account(*, customer_id: strawberry.ID, balances: ledger.Balances, currency: str) -> CreditAccount:
    return CreditAccount(
        customer_id=customer_id,
        available=Money(balances.available),
        pending=Money(balances.pending),
        currency=currency,
    )
