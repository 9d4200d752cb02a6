"""The customer credit ledger (cashback and store credit)."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from domain.commerce.models import Order
from domain.customers.models import Customer
from domain.tenancy.models import Tenant


class CreditAccount(Model):
    """Cached balances of one customer's ledger, recomputed under a row lock with every entry."""

    id = fields.UUIDField(primary_key=True)
    tenant: fields.ForeignKeyRelation[Tenant] = fields.ForeignKeyField(
        "revisit.Tenant", related_name="credit_accounts", on_delete=fields.CASCADE
    )
    customer: fields.OneToOneRelation[Customer] = fields.OneToOneField(
        "revisit.Customer", related_name="credit_account", on_delete=fields.CASCADE
    )
    available = fields.BigIntField(default=0, db_default=0)
    pending = fields.BigIntField(default=0, db_default=0)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "credit_accounts"
        unique_together = (("tenant", "customer"),)


class CreditEntry(Model):
    """One append-only ledger line. Positive grants, negative spends and reversals.

    An entry counts as *pending* until ``available_at`` and as *available* from then on.
    """

    id = fields.UUIDField(primary_key=True)
    tenant: fields.ForeignKeyRelation[Tenant] = fields.ForeignKeyField(
        "revisit.Tenant", related_name="credit_entries", on_delete=fields.CASCADE
    )
    customer: fields.ForeignKeyRelation[Customer] = fields.ForeignKeyField(
        "revisit.Customer", related_name="credit_entries", on_delete=fields.CASCADE
    )
    kind = fields.CharField(max_length=32)
    amount = fields.BigIntField()
    available_at = fields.DatetimeField()
    expires_at = fields.DatetimeField(null=True)
    order: fields.ForeignKeyNullableRelation[Order] = fields.ForeignKeyField(
        "revisit.Order", related_name="credit_entries", null=True, on_delete=fields.SET_NULL
    )
    reverses: fields.ForeignKeyNullableRelation[CreditEntry] = fields.ForeignKeyField(
        "revisit.CreditEntry", related_name="reversals", null=True, on_delete=fields.SET_NULL
    )
    idempotency_key = fields.CharField(max_length=200)
    note = fields.CharField(max_length=255, default="", db_default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "credit_entries"
        unique_together = (("tenant", "idempotency_key"),)
        indexes = (("tenant_id", "customer_id", "created_at"), ("tenant_id", "order_id"))
