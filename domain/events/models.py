"""The append-only log of everything a store sent."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.indexes import PartialIndex
from tortoise.models import Model

from domain.tenancy.models import Tenant

EVENT_STATUSES = ("pending", "waiting", "processed", "failed")
"""Where an event stands: in line (pending), held until what it refers to arrives (waiting), applied
(processed), or kept with its error for a replay (failed)."""


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
    waiting_for = fields.CharField(
        max_length=160, null=True, description="What a waiting event waits for, such as ``order:1042``."
    )
    waiting_since = fields.DatetimeField(null=True)
    customer_id = fields.UUIDField(null=True, description="The customer processing found it to be about.")

    class Meta:
        table = "ingested_events"
        unique_together = (("tenant", "source", "event_id"),)
        indexes = (
            ("tenant_id", "status", "id"),
            ("tenant_id", "waiting_for"),
            ("tenant_id", "customer_id", "occurred_at"),
            # The line of work: small (only what is pending), in the order processing takes it.
            PartialIndex(
                fields=("tenant_id", "occurred_at", "id"),
                condition={"status": "pending"},
                name="ingested_events_pending_line",
            ),
        )
