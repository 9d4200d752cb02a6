"""Who did what: an append-only record of owners' and admins' consequential actions."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model

from domain.tenancy.models import Tenant


class AuditEntry(Model):
    """One consequential action taken in a store by a person, as it happened. Never changed or removed.

    ``actor_user_id`` is a plain id, not a link: the trail outlives the account that acted. ``subject_id``
    is text so any kind of subject (a customer, a coupon template, a journey) can be named.
    """

    id = fields.UUIDField(primary_key=True)
    tenant: fields.ForeignKeyRelation[Tenant] = fields.ForeignKeyField(
        "revisit.Tenant", related_name="audit_entries", on_delete=fields.CASCADE
    )
    actor_user_id = fields.UUIDField(null=True, description="The user who acted; null for the platform.")
    action = fields.CharField(max_length=64, description="What was done, e.g. credit.adjusted.")
    subject_type = fields.CharField(max_length=32, description="What it was done to, e.g. customer.")
    subject_id = fields.CharField(max_length=64)
    detail: dict[str, Any] = fields.JSONField(default=dict)
    at = fields.DatetimeField()

    class Meta:
        table = "audit_entries"
        indexes = (("tenant_id", "at"), ("tenant_id", "subject_type", "subject_id", "at"))
