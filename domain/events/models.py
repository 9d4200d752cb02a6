"""The append-only log of everything a store sent."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model

from domain.tenancy.models import Tenant


class IngestedEvent(Model):
    """One event as received. Unique per (tenant, source, event id): a repeat is a duplicate."""

    id = fields.BigIntField(primary_key=True)
    tenant: fields.ForeignKeyRelation[Tenant] = fields.ForeignKeyField(
        "revisit.Tenant", related_name="ingested_events", on_delete=fields.CASCADE
    )
    source = fields.CharField(max_length=32)
    event_id = fields.CharField(max_length=128)
    type = fields.CharField(max_length=64)
    occurred_at = fields.DatetimeField()
    payload: dict[str, Any] = fields.JSONField()
    status = fields.CharField(max_length=16, default="pending", db_default="pending")
    error = fields.TextField(null=True)
    attempts = fields.IntField(default=0, db_default=0)
    received_at = fields.DatetimeField(auto_now_add=True)
    processed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "ingested_events"
        unique_together = (("tenant", "source", "event_id"),)
        indexes = (("tenant_id", "status", "id"),)
