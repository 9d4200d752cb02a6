"""The payments context's tables: top-ups of the merchant wallet through a payment gateway."""

from __future__ import annotations

from uuid import UUID

from tortoise import fields
from tortoise.models import Model

from domain.tenancy.models import Tenant

TOP_UP_STATES = ("pending", "paid", "failed", "cancelled")
"""pending: sent to the gateway, not settled; paid: the gateway confirmed it and the wallet was credited
(once); failed: the gateway says it was not paid (or not for this amount); cancelled: the payer gave up."""

GATEWAYS = ("zarinpal", "stripe")


class TopUp(Model):
    """One payment into a store's wallet through a gateway.

    ``amount`` is what the wallet is credited, in rials (IRR). ``charge_amount`` and ``charge_currency`` are
    what the gateway charges the payer: the same rials through Zarinpal, the store currency's minor units
    through Stripe. ``authority`` is the gateway's own id of the payment (Zarinpal's authority, Stripe's
    Checkout Session id), unique per gateway and store.
    """

    id = fields.UUIDField(primary_key=True)
    tenant: fields.ForeignKeyRelation[Tenant] = fields.ForeignKeyField(
        "revisit.Tenant", related_name="top_ups", on_delete=fields.CASCADE
    )
    tenant_id: UUID
    gateway = fields.CharField(max_length=16, description="zarinpal or stripe")
    amount = fields.BigIntField(description="IRR credited to the wallet when paid.")
    charge_amount = fields.BigIntField(description="What the gateway charges, in charge_currency's units.")
    charge_currency = fields.CharField(max_length=3, description="IRR for Zarinpal; the store's for Stripe.")
    status = fields.CharField(max_length=16, default="pending", db_default="pending")
    client_key = fields.CharField(max_length=100, description="The client's idempotency key of the start.")
    authority = fields.CharField(max_length=255, null=True, description="The gateway's id of the payment.")
    payment_url = fields.CharField(max_length=1000, null=True, description="Where the payer pays.")
    ref_id = fields.CharField(max_length=64, null=True, description="The gateway's reference of the payment.")
    card_mask = fields.CharField(max_length=32, null=True, description="The card paid with, masked.")
    failure_code = fields.CharField(max_length=32, null=True)
    failure_message = fields.CharField(max_length=300, null=True)
    wallet_entry_id = fields.UUIDField(null=True, description="The wallet's top_up entry, once paid.")
    created_by = fields.UUIDField(null=True, description="The user who started it.")
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    paid_at = fields.DatetimeField(null=True)

    class Meta:
        table = "top_ups"
        table_description = "A payment into a store's wallet through Zarinpal or Stripe Checkout."
        unique_together = (("tenant", "client_key"), ("tenant", "gateway", "authority"))
        indexes = (("tenant_id", "created_at", "id"), ("tenant_id", "status", "paid_at"))
