"""Journeys (automations: what the owner configured), their versions, their runs (one per customer per
enrolment) and what each step of a run did."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model

from domain.commerce.models import Order
from domain.customers.models import Customer
from domain.tenancy.models import Tenant


class Automation(Model):
    """A journey: trigger, conditions, entry rule and ordered steps. ``definition`` holds the newest
    version as JSON; every version is also kept in ``automation_versions``."""

    id = fields.UUIDField(primary_key=True)
    tenant: fields.ForeignKeyRelation[Tenant] = fields.ForeignKeyField(
        "revisit.Tenant", related_name="automations", on_delete=fields.CASCADE
    )
    name = fields.CharField(max_length=200)
    status = fields.CharField(max_length=16, default="draft", db_default="draft")
    trigger = fields.CharField(max_length=64)
    definition: dict[str, Any] = fields.JSONField()
    version = fields.IntField(default=1, db_default=1)
    enrolled_count = fields.IntField(
        default=0, db_default=0, description="Enrolments ever made (what the entry cap counts)."
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    activated_at = fields.DatetimeField(null=True)

    class Meta:
        table = "automations"
        indexes = (("tenant_id", "status", "trigger"),)


class AutomationVersion(Model):
    """One version of a journey's definition, as it was saved. Runs point at theirs by number."""

    id = fields.UUIDField(primary_key=True)
    tenant: fields.ForeignKeyRelation[Tenant] = fields.ForeignKeyField(
        "revisit.Tenant", related_name="automation_versions", on_delete=fields.CASCADE
    )
    automation: fields.ForeignKeyRelation[Automation] = fields.ForeignKeyField(
        "revisit.Automation", related_name="versions", on_delete=fields.CASCADE, db_constraint=False
    )
    version = fields.IntField()
    definition: dict[str, Any] = fields.JSONField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "automation_versions"
        unique_together = (("tenant", "automation", "version"),)


class AutomationRun(Model):
    """One enrolment of one customer in one journey. Unique per (journey, customer, enrolment key — the
    occasion: ``order:<id>``, ``lapse:<day>``, ``birthday:<year>``); at most one
    open run per journey and customer (per order for once-per-order order journeys).

    An open run (``pending`` / ``waiting``) is due at ``due_at``: the poller takes it then and carries
    out its steps from ``current_step_id`` on."""

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
    open_scope = fields.CharField(
        max_length=64,
        default="",
        db_default="",
        description="What 'already in the journey' means for this run: '' (the customer) or the order.",
    )
    state = fields.CharField(max_length=16, default="pending", db_default="pending")
    current_step = fields.IntField(default=0, db_default=0, description="Position of current_step_id.")
    current_step_id = fields.CharField(
        max_length=40, null=True, description="The next step; null when final."
    )
    exit_reason = fields.CharField(max_length=32, null=True)
    due_at = fields.DatetimeField()
    context: dict[str, Any] = fields.JSONField(default=dict)
    last_error = fields.TextField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "automation_runs"
        unique_together = (("tenant", "automation", "customer", "enrolment_key"),)
        indexes = (
            ("tenant_id", "state", "due_at"),
            ("tenant_id", "order_id"),
            ("tenant_id", "automation_id", "customer_id", "created_at"),
        )


class AutomationStepEvent(Model):
    """One step a run executed and how it ended: done, skipped, failed, exited or waiting.

    ``message_id``, ``credit_amount`` and ``coupon_id`` say what the step gave the customer."""

    id = fields.BigIntField(primary_key=True, generated=True)
    tenant: fields.ForeignKeyRelation[Tenant] = fields.ForeignKeyField(
        "revisit.Tenant", related_name="automation_step_events", on_delete=fields.CASCADE
    )
    automation: fields.ForeignKeyRelation[Automation] = fields.ForeignKeyField(
        "revisit.Automation", related_name="step_events", on_delete=fields.CASCADE, db_constraint=False
    )
    run: fields.ForeignKeyRelation[AutomationRun] = fields.ForeignKeyField(
        "revisit.AutomationRun", related_name="step_events", on_delete=fields.CASCADE, db_constraint=False
    )
    automation_version = fields.IntField(default=1, db_default=1)
    step_id = fields.CharField(max_length=40)
    step_type = fields.CharField(max_length=32, default="", db_default="")
    outcome = fields.CharField(max_length=16)
    occurred_at = fields.DatetimeField()
    message_id = fields.UUIDField(null=True)
    credit_amount = fields.BigIntField(default=0, db_default=0)
    coupon_id = fields.UUIDField(null=True)
    note = fields.CharField(max_length=500, default="", db_default="")

    class Meta:
        table = "automation_step_events"
        indexes = (
            ("tenant_id", "automation_id", "step_id", "outcome"),
            ("tenant_id", "run_id", "occurred_at"),
        )
