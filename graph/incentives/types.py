"""GraphQL types of the incentives context: a customer's credit balances and ledger, and spending it at
checkout."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from domain.incentives import checkout, models
from graph.core.checkout import StoreMoney
from graph.core.scalars import Money


@strawberry.type(description="A customer's credit, in minor units of the store's currency.")
class CreditAccount:
    customer_id: strawberry.ID
    available: Money = strawberry.field(description="Spendable now.")
    pending: Money = strawberry.field(description="Granted, spendable once it matures.")
    currency: str


@strawberry.type(description="One line of a customer's credit ledger. Lines are never changed or removed.")
class CreditEntry:
    id: strawberry.ID
    kind: str = strawberry.field(
        description=(
            "cashback or credit (grants), reversal (of a grant: the order was cancelled or refunded, "
            "in part or in full), redemption (spent on an order at checkout), release (held for an order "
            "that did not use it, given back), return (spent on an order that was cancelled, failed or "
            "refunded, given back), expiry (what was left of a grant when it expired; 0 when it had all "
            "been spent) or adjustment (the store's own grant, positive, or deduction, negative, with "
            "the reason in note)."
        )
    )
    amount: Money = strawberry.field(
        description="Minor units: positive for grants and credit given back, negative for what is taken."
    )
    available_at: datetime = strawberry.field(description="Pending before this moment, available after.")
    expires_at: datetime | None
    order_id: strawberry.ID | None = strawberry.field(description="The order that earned or lost it.")
    reverses_id: strawberry.ID | None = strawberry.field(
        description="For a reversal or an expiry: the grant it takes from."
    )
    note: str
    created_at: datetime

    @classmethod
    def from_model(cls, entry: models.CreditEntry) -> CreditEntry:
        order_id = entry.order_id  # type: ignore[attr-defined]
        reverses_id = entry.reverses_id  # type: ignore[attr-defined]
        return cls(
            id=strawberry.ID(str(entry.id)),
            kind=entry.kind,
            amount=entry.amount,
            available_at=entry.available_at,
            expires_at=entry.expires_at,
            order_id=strawberry.ID(str(order_id)) if order_id else None,
            reverses_id=strawberry.ID(str(reverses_id)) if reverses_id else None,
            note=entry.note,
            created_at=entry.created_at,
        )


AMOUNT_HELP = "A decimal string in major units of the store's currency, e.g. 125000 or 12.50."


@strawberry.type(description="What a customer could spend on a cart. An unknown customer has nothing.")
class CreditQuote:
    customer_found: bool
    available: str = strawberry.field(description=f"Spendable now. {AMOUNT_HELP}")
    max_usable: str = strawberry.field(
        description=f"The available credit, at most the cart total. {AMOUNT_HELP}"
    )
    currency: str

    @classmethod
    def from_domain(cls, quote: checkout.Quote, money: StoreMoney) -> CreditQuote:
        return cls(
            customer_found=quote.customer_found,
            available=money.major(quote.available),
            max_usable=money.major(quote.max_usable),
            currency=money.currency,
        )


@strawberry.type(description="Credit an order holds from its customer's balance.")
class CreditHold:
    order_external_id: str
    held: str = strawberry.field(description=f"What the order holds. {AMOUNT_HELP}")
    available: str = strawberry.field(description=f"What the customer can still spend. {AMOUNT_HELP}")
    currency: str

    @classmethod
    def from_domain(cls, hold: checkout.Hold, money: StoreMoney) -> CreditHold:
        return cls(
            order_external_id=hold.order_external_id,
            held=money.major(hold.held),
            available=money.major(hold.available),
            currency=money.currency,
        )


@strawberry.type(description="Held credit given back to the customer.")
class CreditRelease:
    order_external_id: str
    released: str = strawberry.field(description=f"What was given back by this call. {AMOUNT_HELP}")
    available: str = strawberry.field(
        description=f"What the customer can spend now; 0 when the order held nothing. {AMOUNT_HELP}"
    )
    currency: str

    @classmethod
    def from_domain(cls, release: checkout.Release, money: StoreMoney) -> CreditRelease:
        return cls(
            order_external_id=release.order_external_id,
            released=money.major(release.released),
            available=money.major(release.available),
            currency=money.currency,
        )


@strawberry.enum
class CreditErrorCode(Enum):
    INVALID = "INVALID"
    INSUFFICIENT_CREDIT = "INSUFFICIENT_CREDIT"
    CUSTOMER_NOT_FOUND = "CUSTOMER_NOT_FOUND"
    CURRENCY_MISMATCH = "CURRENCY_MISMATCH"
    TENANT_REQUIRED = "TENANT_REQUIRED"
    NOT_FOUND = "NOT_FOUND"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"


@strawberry.type
class CreditError:
    code: CreditErrorCode
    field: str | None
    message: str
    available: str | None = strawberry.field(
        default=None, description=f"With INSUFFICIENT_CREDIT: what the customer can spend. {AMOUNT_HELP}"
    )


@strawberry.type
class CreditQuotePayload:
    quote: CreditQuote | None = None
    errors: list[CreditError] = strawberry.field(default_factory=list)


@strawberry.type
class HoldCreditPayload:
    hold: CreditHold | None = None
    errors: list[CreditError] = strawberry.field(default_factory=list)


@strawberry.type
class ReleaseCreditPayload:
    release: CreditRelease | None = None
    errors: list[CreditError] = strawberry.field(default_factory=list)
