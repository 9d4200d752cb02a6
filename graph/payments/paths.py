"""Where the payments routes live, for the gateways (callbacks) and for the owner (documents)."""

from __future__ import annotations

from typing import Final
from uuid import UUID

ZARINPAL_CALLBACK: Final = "/rest/v1/payments/zarinpal/callback/{top_up_id}"
STRIPE_WEBHOOK: Final = "/rest/v1/payments/stripe/webhook"
STRIPE_RETURN: Final = "/rest/v1/payments/stripe/return/{top_up_id}"
RECEIPT: Final = "/rest/v1/payments/top-ups/{top_up_id}/receipt"
INVOICE: Final = "/rest/v1/payments/invoices/{year}/{month}"


def zarinpal_callback(top_up_id: UUID) -> str:
    return ZARINPAL_CALLBACK.format(top_up_id=top_up_id)


def stripe_return(top_up_id: UUID) -> str:
    return STRIPE_RETURN.format(top_up_id=top_up_id)


def receipt(top_up_id: UUID) -> str:
    return RECEIPT.format(top_up_id=top_up_id)


def invoice(year: int, month: int) -> str:
    return INVOICE.format(year=year, month=month)
