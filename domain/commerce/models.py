"""Orders, their lines and the payments a store reports."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model

from domain.customers.models import Customer
from domain.tenancy.models import Tenant


class Order(Model):
    """An order as the store last described it. Amounts are minor units of ``currency``."""

    id = fields.UUIDField(primary_key=True)
    tenant: fields.ForeignKeyRelation[Tenant] = fields.ForeignKeyField(
        "revisit.Tenant", related_name="orders", on_delete=fields.CASCADE
    )
    customer: fields.ForeignKeyNullableRelation[Customer] = fields.ForeignKeyField(
        "revisit.Customer", related_name="orders", null=True, on_delete=fields.SET_NULL
    )
    external_id = fields.CharField(max_length=64)
    number = fields.CharField(max_length=64, default="", db_default="")
    status = fields.CharField(max_length=32)
    currency = fields.CharField(max_length=3)
    total = fields.BigIntField(default=0, db_default=0)
    subtotal = fields.BigIntField(default=0, db_default=0)
    discount_total = fields.BigIntField(default=0, db_default=0)
    shipping_total = fields.BigIntField(default=0, db_default=0)
    tax_total = fields.BigIntField(default=0, db_default=0)
    refunded_total = fields.BigIntField(default=0, db_default=0)
    credit_used = fields.BigIntField(default=0, db_default=0)
    coupon_codes: list[str] = fields.JSONField(default=list)
    billing: dict[str, Any] = fields.JSONField(default=dict)
    placed_at = fields.DatetimeField()
    completed_at = fields.DatetimeField(null=True)
    source_updated_at = fields.DatetimeField(description="occurred_at of the newest event applied")
    lines_digest = fields.CharField(
        max_length=32,
        default="",
        db_default="",
        description="A digest of the lines as last written, so an event repeating them rewrites nothing.",
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "orders"
        unique_together = (("tenant", "external_id"),)
        indexes = (
            ("tenant_id", "placed_at"),
            ("tenant_id", "customer_id"),
            ("tenant_id", "created_at", "id"),
        )


class OrderItem(Model):
    """One line of an order."""

    id = fields.UUIDField(primary_key=True)
    tenant: fields.ForeignKeyRelation[Tenant] = fields.ForeignKeyField(
        "revisit.Tenant", related_name="order_items", on_delete=fields.CASCADE
    )
    order: fields.ForeignKeyRelation[Order] = fields.ForeignKeyField(
        "revisit.Order", related_name="items", on_delete=fields.CASCADE
    )
    product_id = fields.CharField(max_length=64)
    name = fields.CharField(max_length=255, default="", db_default="")
    sku = fields.CharField(max_length=100, default="", db_default="")
    quantity = fields.IntField(default=1, db_default=1)
    total = fields.BigIntField(default=0, db_default=0)
    category_ids: list[str] = fields.JSONField(default=list)

    class Meta:
        table = "order_items"
        indexes = (("tenant_id", "order_id"), ("tenant_id", "product_id"))


class Payment(Model):
    """A payment ("transaction") the store reported for an order."""

    id = fields.UUIDField(primary_key=True)
    tenant: fields.ForeignKeyRelation[Tenant] = fields.ForeignKeyField(
        "revisit.Tenant", related_name="payments", on_delete=fields.CASCADE
    )
    order: fields.ForeignKeyNullableRelation[Order] = fields.ForeignKeyField(
        "revisit.Order", related_name="payments", null=True, on_delete=fields.SET_NULL
    )
    external_id = fields.CharField(max_length=100)
    amount = fields.BigIntField()
    currency = fields.CharField(max_length=3)
    method = fields.CharField(max_length=64, default="", db_default="")
    paid_at = fields.DatetimeField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "payments"
        indexes = (("tenant_id", "order_id"),)
        unique_together = (("tenant", "external_id"),)


class Refund(Model):
    """Money the store gave back on an order, one row per store refund."""

    id = fields.UUIDField(primary_key=True)
    tenant: fields.ForeignKeyRelation[Tenant] = fields.ForeignKeyField(
        "revisit.Tenant", related_name="refunds", on_delete=fields.CASCADE
    )
    order: fields.ForeignKeyRelation[Order] = fields.ForeignKeyField(
        "revisit.Order", related_name="refunds", on_delete=fields.CASCADE
    )
    external_id = fields.CharField(max_length=64)
    amount = fields.BigIntField()
    reason = fields.CharField(max_length=255, default="", db_default="")
    refunded_at = fields.DatetimeField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "refunds"
        indexes = (("tenant_id", "order_id"),)
        unique_together = (("tenant", "external_id"),)
