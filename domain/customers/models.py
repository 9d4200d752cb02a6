"""A store's customers and what we know of their buying."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from domain.tenancy.models import Tenant


class Customer(Model):
    """One person who buys from one store. Identity: external id, else phone, else email."""

    id = fields.UUIDField(primary_key=True)
    tenant: fields.ForeignKeyRelation[Tenant] = fields.ForeignKeyField(
        "revisit.Tenant", related_name="customers", on_delete=fields.CASCADE
    )
    external_id = fields.CharField(max_length=64, null=True)
    phone = fields.CharField(max_length=20, null=True, description="E.164")
    email = fields.CharField(max_length=254, null=True)
    first_name = fields.CharField(max_length=100, default="", db_default="")
    last_name = fields.CharField(max_length=100, default="", db_default="")
    city = fields.CharField(max_length=100, default="", db_default="")
    birthday = fields.DateField(null=True)
    birth_month = fields.SmallIntField(null=True, description="The birthday's month in the store's calendar.")
    birth_day = fields.SmallIntField(
        null=True, description="The birthday's day of month in the store's calendar."
    )
    marketing_consent = fields.BooleanField(
        default=True, db_default=True, description="With consent_source unknown: no objection recorded."
    )
    consent_source = fields.CharField(
        max_length=32,
        default="unknown",
        db_default="unknown",
        description="unknown (never said: the store's consent mode decides), store or customer.",
    )
    consent_changed_at = fields.DatetimeField(null=True)
    tags: list[str] = fields.JSONField(default=list)

    orders_count = fields.IntField(default=0, db_default=0)
    total_spent = fields.BigIntField(default=0, db_default=0, description="minor units of the store currency")
    first_order_at = fields.DatetimeField(null=True)
    last_order_at = fields.DatetimeField(null=True)
    average_order_value = fields.BigIntField(
        default=0, db_default=0, description="total_spent / orders_count"
    )
    average_days_between_orders = fields.FloatField(null=True)
    median_days_between_orders = fields.FloatField(null=True)
    refunds_count = fields.IntField(default=0, db_default=0)
    refunded_total = fields.BigIntField(default=0, db_default=0)
    recency_score = fields.SmallIntField(null=True, description="1-5, quintiles of the store's customers")
    frequency_score = fields.SmallIntField(null=True, description="1-5, quintiles of the store's customers")
    monetary_score = fields.SmallIntField(null=True, description="1-5, quintiles of the store's customers")
    lifecycle_stage = fields.CharField(max_length=16, default="prospect", db_default="prospect")

    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "customers"
        unique_together = (("tenant", "external_id"), ("tenant", "phone"))
        indexes = (("tenant_id", "created_at"), ("tenant_id", "email"), ("tenant_id", "last_order_at"))
