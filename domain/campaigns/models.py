"""The campaigns context's tables: a campaign, and the audience it snapshotted at launch."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model

from domain.tenancy.models import Tenant


class Campaign(Model):
    """One bulk SMS to an audience of a store, with an optional incentive per recipient.

    States: ``draft`` → ``scheduled`` → ``sending`` ⇄ ``paused`` → ``completed`` | ``cancelled``
    (:mod:`domain.campaigns.lifecycle`). The audience is every customer (no segment included) or the
    customers of ``include_segment_ids`` minus those of ``exclude_segment_ids``, read at launch.
    """

    id = fields.UUIDField(primary_key=True)
    tenant: fields.ForeignKeyRelation[Tenant] = fields.ForeignKeyField(
        "revisit.Tenant", related_name="campaigns", on_delete=fields.CASCADE
    )
    name = fields.CharField(max_length=120)
    status = fields.CharField(max_length=16, default="draft", db_default="draft")
    pause_reason = fields.CharField(max_length=32, null=True, description="owner or insufficient_funds.")
    include_segment_ids: list[str] = fields.JSONField(
        default=list, description="Segments whose members are the audience; empty: every customer."
    )
    exclude_segment_ids: list[str] = fields.JSONField(
        default=list, description="Segments whose members are left out."
    )
    template = fields.TextField(description="The message, with {first_name}-style variables.")
    incentive = fields.CharField(max_length=16, null=True, description="coupon, credit or null.")
    coupon_template_id = fields.UUIDField(null=True)
    credit_amount = fields.BigIntField(null=True, description="Credit per recipient, minor units.")
    credit_valid_days = fields.IntField(null=True, description="Days the credit lasts after launch.")
    scheduled_at = fields.DatetimeField(null=True, description="When it launches; null: when asked.")
    window_start = fields.SmallIntField(null=True, description="Local minutes: sends from then only.")
    window_end = fields.SmallIntField(null=True, description="Local minutes: sends until then only.")
    control_percent = fields.SmallIntField(default=0, db_default=0, description="0–50 % held out.")
    attribution_days = fields.SmallIntField(default=7, db_default=7)
    client_key = fields.CharField(max_length=100, null=True, description="The client's create key.")
    reservation_key = fields.CharField(max_length=100, null=True, description="The wallet reservation.")
    cost_reserved = fields.BigIntField(default=0, db_default=0, description="IRR reserved at launch.")
    recipients_count = fields.IntField(default=0, db_default=0, description="Messages queued at launch.")
    control_count = fields.IntField(default=0, db_default=0)
    excluded_count = fields.IntField(default=0, db_default=0)
    exclusions: dict[str, Any] = fields.JSONField(default=dict, description="Excluded customers by reason.")
    created_by_user_id = fields.UUIDField(null=True)
    launched_at = fields.DatetimeField(null=True)
    paused_at = fields.DatetimeField(null=True)
    finished_at = fields.DatetimeField(null=True, description="When it completed or was cancelled.")
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "campaigns"
        unique_together = (("tenant", "client_key"),)
        indexes = (("tenant_id", "status", "scheduled_at"), ("tenant_id", "created_at"))


class CampaignRecipient(Model):
    """One customer of a campaign's audience as it was at launch: ``treated`` (a message was queued),
    ``control`` (held out on purpose) or ``excluded`` (with ``reason``). One row per customer."""

    id = fields.BigIntField(primary_key=True)
    tenant: fields.ForeignKeyRelation[Tenant] = fields.ForeignKeyField(
        "revisit.Tenant", related_name="campaign_recipients", on_delete=fields.CASCADE
    )
    campaign: fields.ForeignKeyRelation[Campaign] = fields.ForeignKeyField(
        "revisit.Campaign", related_name="recipients", on_delete=fields.CASCADE, db_constraint=False
    )
    customer_id = fields.UUIDField()
    phone = fields.CharField(max_length=20, null=True)
    status = fields.CharField(max_length=16, description="treated, control or excluded.")
    reason = fields.CharField(max_length=32, null=True, description="Why an excluded customer was left out.")
    message_id = fields.UUIDField(
        null=True, description="Its message; its code is coupons.origin_key campaign:<id>:<customer>."
    )
    credit_amount = fields.BigIntField(default=0, db_default=0)

    class Meta:
        table = "campaign_recipients"
        unique_together = (("tenant", "campaign", "customer_id"),)
        indexes = (("tenant_id", "campaign_id", "status"), ("tenant_id", "customer_id"))
