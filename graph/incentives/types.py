"""GraphQL types of the incentives context: a customer's credit balances and ledger."""

from __future__ import annotations

from datetime import datetime

import strawberry

from domain.incentives import models
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
    kind: str = strawberry.field(description="cashback, credit or reversal.")
    amount: Money = strawberry.field(description="Minor units: positive for grants, negative for reversals.")
    available_at: datetime = strawberry.field(description="Pending before this moment, available after.")
    expires_at: datetime | None
    order_id: strawberry.ID | None = strawberry.field(description="The order that earned or lost it.")
    note: str
    created_at: datetime

    @classmethod
    def from_model(cls, entry: models.CreditEntry) -> CreditEntry:
        order_id = entry.order_id  # type: ignore[attr-defined]
        return cls(
            id=strawberry.ID(str(entry.id)),
            kind=entry.kind,
            amount=entry.amount,
            available_at=entry.available_at,
            expires_at=entry.expires_at,
            order_id=strawberry.ID(str(order_id)) if order_id else None,
            note=entry.note,
            created_at=entry.created_at,
        )
