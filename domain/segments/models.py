"""Segments, who is in them (with entered and left times), and how their size moved."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model

from domain.customers.models import Customer
from domain.tenancy.models import Tenant

SEGMENT_KINDS = ("dynamic", "static", "builtin")
"""dynamic: a condition tree; static: a hand-picked or imported list; builtin: a lifecycle segment
every store has, defined by the store's purchase cycle."""


class Segment(Model):
    """A named group of a store's customers. ``definition`` is the versioned condition tree."""

    id = fields.UUIDField(primary_key=True)
    tenant: fields.ForeignKeyRelation[Tenant] = fields.ForeignKeyField(
        "revisit.Tenant", related_name="segments", on_delete=fields.CASCADE
    )
    name = fields.CharField(max_length=120)
    description = fields.CharField(max_length=500, default="", db_default="")
    kind = fields.CharField(max_length=16)
    builtin_key = fields.CharField(max_length=32, null=True)
    definition: dict[str, Any] | None = fields.JSONField(null=True)
    revision = fields.IntField(default=1, db_default=1, description="Bumped by every edit of the definition.")
    member_count = fields.IntField(default=0, db_default=0)
    refreshed_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "segments"
        unique_together = (("tenant", "name"), ("tenant", "builtin_key"))


class SegmentMembership(Model):
    """One stay of one customer in one segment: open while ``left_at`` is null.

    The links to the segment and the customer are constrained as (tenant_id, x_id) → (tenant_id, id)
    by migration 0007, like every link between store tables.
    """

    id = fields.BigIntField(primary_key=True)
    tenant: fields.ForeignKeyRelation[Tenant] = fields.ForeignKeyField(
        "revisit.Tenant", related_name="segment_memberships", on_delete=fields.CASCADE
    )
    segment: fields.ForeignKeyRelation[Segment] = fields.ForeignKeyField(
        "revisit.Segment", related_name="memberships", on_delete=fields.CASCADE, db_constraint=False
    )
    customer: fields.ForeignKeyRelation[Customer] = fields.ForeignKeyField(
        "revisit.Customer", related_name="segment_memberships", on_delete=fields.CASCADE, db_constraint=False
    )
    entered_at = fields.DatetimeField()
    left_at = fields.DatetimeField(null=True)

    class Meta:
        table = "segment_memberships"
        # Also a unique partial index of the open stays, (tenant_id, segment_id, customer_id) WHERE
        # left_at IS NULL, made by migration 0007 (the ORM's partial indexes only test equality).
        indexes = (("tenant_id", "customer_id", "entered_at"),)


class SegmentSize(Model):
    """The size of a segment after a refresh, and how many entered and left in it."""

    id = fields.BigIntField(primary_key=True)
    tenant: fields.ForeignKeyRelation[Tenant] = fields.ForeignKeyField(
        "revisit.Tenant", related_name="segment_sizes", on_delete=fields.CASCADE
    )
    segment: fields.ForeignKeyRelation[Segment] = fields.ForeignKeyField(
        "revisit.Segment", related_name="sizes", on_delete=fields.CASCADE, db_constraint=False
    )
    measured_at = fields.DatetimeField()
    size = fields.IntField()
    entered = fields.IntField()
    left = fields.IntField()

    class Meta:
        table = "segment_sizes"
        indexes = (("tenant_id", "segment_id", "measured_at"),)
