"""What Revisit has learnt about one store as a whole: its purchase cycle, RFM breakpoints, the fitted
purchase model."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from domain.tenancy.models import Tenant


class StoreIntelligence(Model):
    """One row per store, rewritten by each full refresh and read by every incremental one."""

    id = fields.UUIDField(primary_key=True)
    tenant: fields.OneToOneRelation[Tenant] = fields.OneToOneField(
        "revisit.Tenant", related_name="intelligence", on_delete=fields.CASCADE
    )
    purchase_cycle_days = fields.FloatField(
        default=30.0, db_default=30.0, description="The typical days between a customer's orders."
    )
    cycle_learnt = fields.BooleanField(
        default=False, db_default=False, description="Whether the cycle is the store's own or the default."
    )
    returning_customers = fields.IntField(default=0, db_default=0)
    recency_breaks: list[float] = fields.JSONField(default=list, description="Days since last order, 4 cuts")
    frequency_breaks: list[float] = fields.JSONField(default=list, description="Orders count, 4 cuts")
    monetary_breaks: list[float] = fields.JSONField(default=list, description="Total spent, 4 cuts")
    model_r = fields.FloatField(null=True)
    model_alpha = fields.FloatField(null=True, description="In days.")
    model_a = fields.FloatField(null=True)
    model_b = fields.FloatField(null=True)
    model_fitted = fields.BooleanField(
        default=False, db_default=False, description="Fitted to the store, or the published priors."
    )
    model_customers = fields.IntField(default=0, db_default=0)
    refreshed_at = fields.DatetimeField(null=True)
    refreshed_on = fields.DateField(null=True, description="The store's local date of the last full refresh.")

    class Meta:
        table = "store_intelligence"
