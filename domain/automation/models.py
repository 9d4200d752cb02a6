"""Automations (what the owner configured) and their runs (one per customer per enrolment)."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model

from domain.commerce.models import Order
from domain.customers.models import Customer
from domain.tenancy.models import Tenant


class Automation(Model):
    """A trigger, conditions and ordered steps. ``definition`` holds the validated model as JSON."""

    id = fields.UUIDField(primary_key=True)
    tenant: fields.ForeignKeyRelation[Tenant] = fields.ForeignKeyField(
        "revisit.Tenant", related_name="automations", on_delete=fields.CASCADE
    )
    name = fields.CharField(max_length=200)
    status = fields.CharField(max_length=16, default="draft", db_default="draft")
    trigger = fields.CharField(max_length=64)
    definition: dict[str, Any] = fields.JSONField()
    version = fields.IntField(default=1, db_default=1)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    activated_at = fields.DatetimeField(null=True)

    class Meta:
        table = "automations"
        indexes = (("tenant_id", "status", "trigger"),)


class AutomationRun(Model):
    """One enrolment of one customer in one automation. Unique per (automation, enrolment key)."""

    id = fields.UUIDField(primary_key=True)
    tenant: fields.ForeignKeyRelation[Tenant] = fields.ForeignKeyField(
        "revisit.Tenant", related_name="automation_runs", on_delete=fields.CASCADE
    )
    automation: fields.ForeignKeyRelation[Automation] = fields.ForeignKeyField(
        "revisit.Automation", related_name="runs", on_delete=fields.CASCADE
    )
    automation_version = fields.IntField()
    customer: fields.ForeignKeyRelation[Customer] = fields.ForeignKeyField(
        "revisit.Customer", related_name="automation_runs", on_delete=fields.CASCADE
    )
    order: fields.ForeignKeyNullableRelation[Order] = fields.ForeignKeyField(
        "revisit.Order", related_name="automation_runs", null=True, on_delete=fields.SET_NULL
    )
    enrolment_key = fields.CharField(max_length=200)
    state = fields.CharField(max_length=16, default="pending", db_default="pending")
    current_step = fields.IntField(default=0, db_default=0)
    due_at = fields.DatetimeField()
    context: dict[str, Any] = fields.JSONField(default=dict)
    last_error = fields.TextField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "automation_runs"
        unique_together = (("tenant", "automation", "enrolment_key"),)
        indexes = (("tenant_id", "state", "due_at"), ("tenant_id", "order_id"))
