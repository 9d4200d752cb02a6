"""Coupon templates, the codes issued from them, and their redemptions.

The links between these store tables (and to customers and orders) are constrained as
(tenant_id, x_id) → (tenant_id, id) by migration 0009, like every link between store tables, so the
ORM's own link columns carry no constraint (``db_constraint=False``).
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from domain.commerce.models import Order
from domain.customers.models import Customer
from domain.tenancy.models import Tenant

TEMPLATE_KINDS = ("percent", "fixed", "free_shipping")
"""percent: ``value`` % off the eligible lines (1–100); fixed: ``value`` minor units off them; free
shipping: the order's shipping is free (``value`` is 0)."""

REDEMPTION_STATES = ("redeemed", "returned")
"""redeemed: an order used the code and counts against its limits; returned: that order was cancelled
or failed, and the use was given back."""


class CouponTemplate(Model):
    """What a coupon gives and on what terms; codes are issued from it."""

    id = fields.UUIDField(primary_key=True)
    tenant: fields.ForeignKeyRelation[Tenant] = fields.ForeignKeyField(
        "revisit.Tenant", related_name="coupon_templates", on_delete=fields.CASCADE
    )
    name = fields.CharField(max_length=120)
    description = fields.CharField(max_length=500, default="", db_default="")
    kind = fields.CharField(max_length=16)
    value = fields.BigIntField(default=0, db_default=0, description="Percent (1–100) or minor units.")
    minimum_cart = fields.BigIntField(default=0, db_default=0, description="Minor units; 0 for none.")
    maximum_discount = fields.BigIntField(null=True, description="Minor units; null for no cap.")
    product_ids: list[str] = fields.JSONField(default=list, description="Only these products; [] for all.")
    excluded_product_ids: list[str] = fields.JSONField(default=list)
    category_ids: list[str] = fields.JSONField(default=list, description="Only these categories; [] for all.")
    excluded_category_ids: list[str] = fields.JSONField(default=list)
    first_order_only = fields.BooleanField(default=False, db_default=False)
    usage_limit = fields.IntField(null=True, description="Uses of one code in all; null for no limit.")
    usage_limit_per_customer = fields.IntField(null=True, description="Uses of one code per customer.")
    starts_at = fields.DatetimeField(null=True, description="Codes work from this moment on.")
    expires_at = fields.DatetimeField(null=True, description="Codes stop working at this moment.")
    valid_days = fields.IntField(null=True, description="Codes stop working this many days after issue.")
    code_prefix = fields.CharField(max_length=12, default="", db_default="")
    archived_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "coupon_templates"
        unique_together = (("tenant", "name"),)
        indexes = (("tenant_id", "created_at", "id"),)


class Coupon(Model):
    """One code. ``code`` is stored normalised (upper case); ``customer`` is set for a code issued to
    one customer, null for a shared code anyone may use within its limits."""

    id = fields.UUIDField(primary_key=True)
    tenant: fields.ForeignKeyRelation[Tenant] = fields.ForeignKeyField(
        "revisit.Tenant", related_name="coupons", on_delete=fields.CASCADE
    )
    template: fields.ForeignKeyRelation[CouponTemplate] = fields.ForeignKeyField(
        "revisit.CouponTemplate", related_name="coupons", on_delete=fields.CASCADE, db_constraint=False
    )
    code = fields.CharField(max_length=64)
    customer: fields.ForeignKeyNullableRelation[Customer] = fields.ForeignKeyField(
        "revisit.Customer", related_name="coupons", null=True, on_delete=fields.CASCADE, db_constraint=False
    )
    origin_key = fields.CharField(max_length=200, null=True, description="An issue's idempotency key.")
    issued_at = fields.DatetimeField()
    expires_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)
    redemptions_count = fields.IntField(default=0, db_default=0, description="Live (not returned) uses.")

    class Meta:
        table = "coupons"
        unique_together = (("tenant", "code"), ("tenant", "origin_key"))
        # Migration 0009 also gives ``code`` the "C" collation (so the unique index serves prefix searches)
        # and makes two partial indexes of the codes issued to a customer: (tenant_id, customer_id), and
        # (tenant_id, expires_at) of those not revoked, for "coupon expiring" journeys.
        indexes = (("tenant_id", "issued_at", "id"), ("tenant_id", "template_id", "issued_at"))


class CouponRedemption(Model):
    """One order's use of one code (one row per coupon and order)."""

    id = fields.UUIDField(primary_key=True)
    tenant: fields.ForeignKeyRelation[Tenant] = fields.ForeignKeyField(
        "revisit.Tenant", related_name="coupon_redemptions", on_delete=fields.CASCADE
    )
    coupon: fields.ForeignKeyRelation[Coupon] = fields.ForeignKeyField(
        "revisit.Coupon", related_name="redemptions", on_delete=fields.CASCADE, db_constraint=False
    )
    order: fields.ForeignKeyRelation[Order] = fields.ForeignKeyField(
        "revisit.Order", related_name="coupon_redemptions", on_delete=fields.CASCADE, db_constraint=False
    )
    customer_id = fields.UUIDField(null=True, description="The order's customer when it was redeemed.")
    state = fields.CharField(max_length=16, default="redeemed", db_default="redeemed")
    discount = fields.BigIntField(default=0, db_default=0, description="This code's share of the discount.")
    order_total = fields.BigIntField(default=0, db_default=0)
    redeemed_at = fields.DatetimeField()
    returned_at = fields.DatetimeField(null=True)

    class Meta:
        table = "coupon_redemptions"
        unique_together = (("tenant", "coupon", "order"),)
        indexes = (("tenant_id", "order_id"), ("tenant_id", "customer_id"))
