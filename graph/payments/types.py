"""GraphQL types of top-ups, receipts and monthly invoices."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

import strawberry
from strawberry.extensions import FieldExtension

from domain.payments import models
from domain.payments.invoices import InvoiceMonth
from graph.core.errors import errors_as_data
from graph.core.permissions import Can
from graph.core.scalars import Money
from graph.payments import paths
from graph.payments.gateways import public_base

READ = [Can("billing", "read")]
WRITE = [Can("billing", "write")]


@strawberry.enum(description="Where a top-up stands.")
class TopUpStatus(Enum):
    PENDING = "pending"
    PAID = "paid"
    FAILED = "failed"
    CANCELLED = "cancelled"


@strawberry.enum(description="The payment gateway of a top-up.")
class PaymentGateway(Enum):
    ZARINPAL = "zarinpal"
    STRIPE = "stripe"


@strawberry.type(description="A payment into the store's wallet through a gateway.")
class TopUp:
    id: strawberry.ID
    gateway: PaymentGateway
    status: TopUpStatus
    amount: Money = strawberry.field(description="Rials (IRR) credited to the wallet when paid.")
    charge_amount: Money = strawberry.field(
        description="What the gateway charges: rials through Zarinpal, minor units of the store currency "
        "through Stripe."
    )
    charge_currency: str
    payment_url: str | None = strawberry.field(description="Where the payer pays, while pending.")
    ref_id: str | None = strawberry.field(description="The gateway's reference of the payment, once paid.")
    card_mask: str | None = strawberry.field(description="The card paid with, masked.")
    failure_code: str | None = strawberry.field(description="Why it failed: the gateway's code.")
    created_at: datetime
    paid_at: datetime | None
    receipt_url: str | None = strawberry.field(
        description="The printable receipt of a paid top-up (send the same Authorization header)."
    )

    @classmethod
    def from_model(cls, row: models.TopUp, *, settings: Any) -> TopUp:
        paid = row.status == "paid"
        return cls(
            id=strawberry.ID(str(row.id)),
            gateway=PaymentGateway(row.gateway),
            status=TopUpStatus(row.status),
            amount=Money(row.amount),
            charge_amount=Money(row.charge_amount),
            charge_currency=row.charge_currency,
            payment_url=row.payment_url if row.status == "pending" else None,
            ref_id=row.ref_id,
            card_mask=row.card_mask,
            failure_code=row.failure_code,
            created_at=row.created_at,
            paid_at=row.paid_at,
            receipt_url=f"{public_base(settings)}{paths.receipt(row.id)}" if paid else None,
        )


@strawberry.type(description="A month of the store's calendar with charges, and its invoice.")
class Invoice:
    year: int = strawberry.field(description="In the store's calendar (Jalali or Gregorian).")
    month: int = strawberry.field(description="1–12 in the store's calendar.")
    label: str = strawberry.field(description="The month's name and year: «مهر 1405», «October 2026».")
    starts_at: datetime
    ends_at: datetime = strawberry.field(description="The next month's first instant (exclusive).")
    charged: Money = strawberry.field(description="Rials charged in the month, before refunds.")
    url: str = strawberry.field(description="The printable invoice (send the same Authorization header).")

    @classmethod
    def from_month(cls, month: InvoiceMonth, *, settings: Any) -> Invoice:
        chosen = month.period
        return cls(
            year=chosen.year,
            month=chosen.month,
            label=chosen.label,
            starts_at=chosen.start,
            ends_at=chosen.end,
            charged=Money(month.charged),
            url=f"{public_base(settings)}{paths.invoice(chosen.year, chosen.month)}",
        )


@strawberry.enum
class TopUpErrorCode(Enum):
    INVALID_AMOUNT = "INVALID_AMOUNT"
    INVALID_CLIENT_KEY = "INVALID_CLIENT_KEY"
    CLIENT_KEY_REUSED = "CLIENT_KEY_REUSED"
    CURRENCY_NOT_SUPPORTED = "CURRENCY_NOT_SUPPORTED"
    GATEWAY_NOT_CONFIGURED = "GATEWAY_NOT_CONFIGURED"
    GATEWAY_UNAVAILABLE = "GATEWAY_UNAVAILABLE"
    GATEWAY_REFUSED = "GATEWAY_REFUSED"
    TENANT_REQUIRED = "TENANT_REQUIRED"
    NOT_FOUND = "NOT_FOUND"


@strawberry.type
class TopUpError:
    code: TopUpErrorCode
    field: str | None = strawberry.field(description="The input at fault: amount or clientKey.")
    message: str


@strawberry.type
class StartTopUpPayload:
    top_up: TopUp | None = None
    payment_url: str | None = strawberry.field(
        default=None, description="Send the payer's browser here to pay (Zarinpal StartPay, Stripe Checkout)."
    )
    errors: list[TopUpError] = strawberry.field(default_factory=list)


@strawberry.type
class CheckTopUpPayload:
    top_up: TopUp | None = None
    message: str | None = strawberry.field(
        default=None, description="Why it is still pending (the gateway could not be asked, not paid yet)."
    )
    errors: list[TopUpError] = strawberry.field(default_factory=list)


def top_up_errors() -> list[FieldExtension]:
    return errors_as_data(StartTopUpPayload, TopUpError, TopUpErrorCode)


def check_errors() -> list[FieldExtension]:
    return errors_as_data(CheckTopUpPayload, TopUpError, TopUpErrorCode)
