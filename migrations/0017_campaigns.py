"""Bulk campaigns: the campaigns, their audience snapshots and their messages.

- ``campaigns``: one bulk SMS of a store (audience, template, incentive, schedule, control group,
  the wallet reservation made at launch and the counts of its snapshot);
- ``campaign_recipients``: the audience as it was at launch, one row per customer — treated, control,
  or excluded with the reason (the link to its campaign is (tenant_id, campaign_id) → (tenant_id, id));
- ``outbound_messages.campaign_id``: a campaign's messages, found by (tenant_id, campaign_id, status).

The new store tables lead every key with tenant_id, as 0005 made the others.
"""

from uuid import uuid4

from orjson import loads
from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

STORE_TABLES = ("campaigns", "campaign_recipients")

# The schema editor writes campaign_recipients' link to campaigns (id) whatever db_constraint says:
# it is dropped, and the keys made (tenant_id, id) with a link on (tenant_id, campaign_id).
BY_TENANT = [
    "ALTER TABLE campaign_recipients DROP CONSTRAINT IF EXISTS campaign_recipients_campaign_id_fkey",
    *[
        statement
        for table in STORE_TABLES
        for statement in (
            f"ALTER TABLE {table} DROP CONSTRAINT {table}_pkey",
            f"ALTER TABLE {table} ADD CONSTRAINT {table}_pkey PRIMARY KEY (tenant_id, id)",
            f"CREATE INDEX {table}_id_idx ON {table} (id)",
        )
    ],
    "ALTER TABLE campaign_recipients ADD CONSTRAINT campaign_recipients_campaign_id_fkey"
    " FOREIGN KEY (tenant_id, campaign_id) REFERENCES campaigns (tenant_id, id) ON DELETE CASCADE",
]
BY_ID = [
    "ALTER TABLE campaign_recipients DROP CONSTRAINT campaign_recipients_campaign_id_fkey",
    *[
        statement
        for table in STORE_TABLES
        for statement in (
            f"DROP INDEX {table}_id_idx",
            f"ALTER TABLE {table} DROP CONSTRAINT {table}_pkey",
            f"ALTER TABLE {table} ADD CONSTRAINT {table}_pkey PRIMARY KEY (id)",
        )
    ],
]


class Migration(migrations.Migration):
    dependencies = [("revisit", "0016_wallet_top_ups")]

    initial = False

    operations = [
        ops.CreateModel(
            name="Campaign",
            fields=[
                ("id", fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                (
                    "tenant",
                    fields.ForeignKeyField(
                        "revisit.Tenant",
                        source_field="tenant_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="campaigns",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("name", fields.CharField(max_length=120)),
                ("status", fields.CharField(default="draft", db_default="draft", max_length=16)),
                (
                    "pause_reason",
                    fields.CharField(null=True, description="owner or insufficient_funds.", max_length=32),
                ),
                (
                    "include_segment_ids",
                    fields.JSONField(
                        default=list,
                        description="Segments whose members are the audience; empty: every customer.",
                        encoder=JSON_DUMPS,
                        decoder=loads,
                    ),
                ),
                (
                    "exclude_segment_ids",
                    fields.JSONField(
                        default=list,
                        description="Segments whose members are left out.",
                        encoder=JSON_DUMPS,
                        decoder=loads,
                    ),
                ),
                (
                    "template",
                    fields.TextField(
                        description="The message, with {first_name}-style variables.", unique=False
                    ),
                ),
                (
                    "incentive",
                    fields.CharField(null=True, description="coupon, credit or null.", max_length=16),
                ),
                ("coupon_template_id", fields.UUIDField(null=True)),
                (
                    "credit_amount",
                    fields.BigIntField(null=True, description="Credit per recipient, minor units."),
                ),
                (
                    "credit_valid_days",
                    fields.IntField(null=True, description="Days the credit lasts after launch."),
                ),
                (
                    "scheduled_at",
                    fields.DatetimeField(
                        null=True,
                        description="When it launches; null: when asked.",
                        auto_now=False,
                        auto_now_add=False,
                    ),
                ),
                (
                    "window_start",
                    fields.SmallIntField(null=True, description="Local minutes: sends from then only."),
                ),
                (
                    "window_end",
                    fields.SmallIntField(null=True, description="Local minutes: sends until then only."),
                ),
                (
                    "control_percent",
                    fields.SmallIntField(default=0, description="0–50 % held out.", db_default=0),
                ),
                ("attribution_days", fields.SmallIntField(default=7, db_default=7)),
                (
                    "client_key",
                    fields.CharField(null=True, description="The client's create key.", max_length=100),
                ),
                (
                    "reservation_key",
                    fields.CharField(null=True, description="The wallet reservation.", max_length=100),
                ),
                (
                    "cost_reserved",
                    fields.BigIntField(default=0, description="IRR reserved at launch.", db_default=0),
                ),
                (
                    "recipients_count",
                    fields.IntField(default=0, description="Messages queued at launch.", db_default=0),
                ),
                ("control_count", fields.IntField(default=0, db_default=0)),
                ("excluded_count", fields.IntField(default=0, db_default=0)),
                (
                    "exclusions",
                    fields.JSONField(
                        default=dict,
                        description="Excluded customers by reason.",
                        encoder=JSON_DUMPS,
                        decoder=loads,
                    ),
                ),
                ("created_by_user_id", fields.UUIDField(null=True)),
                ("launched_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("paused_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                (
                    "finished_at",
                    fields.DatetimeField(
                        null=True,
                        description="When it completed or was cancelled.",
                        auto_now=False,
                        auto_now_add=False,
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={
                "table": "campaigns",
                "app": "revisit",
                "unique_together": (("tenant", "client_key"),),
                "indexes": [
                    Index(fields=["tenant_id", "status", "scheduled_at"]),
                    Index(fields=["tenant_id", "created_at"]),
                ],
                "pk_attr": "id",
                "table_description": "One bulk SMS to an audience of a store, with an optional incentive per recipient.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="CampaignRecipient",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "tenant",
                    fields.ForeignKeyField(
                        "revisit.Tenant",
                        source_field="tenant_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="campaign_recipients",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "campaign",
                    fields.ForeignKeyField(
                        "revisit.Campaign",
                        source_field="campaign_id",
                        db_constraint=False,
                        to_field="id",
                        related_name="recipients",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("customer_id", fields.UUIDField()),
                ("phone", fields.CharField(null=True, max_length=20)),
                ("status", fields.CharField(description="treated, control or excluded.", max_length=16)),
                (
                    "reason",
                    fields.CharField(
                        null=True, description="Why an excluded customer was left out.", max_length=32
                    ),
                ),
                (
                    "message_id",
                    fields.UUIDField(
                        null=True,
                        description="Its message; its code is coupons.origin_key campaign:<id>:<customer>.",
                    ),
                ),
                ("credit_amount", fields.BigIntField(default=0, db_default=0)),
            ],
            options={
                "table": "campaign_recipients",
                "app": "revisit",
                "unique_together": (("tenant", "campaign", "customer_id"),),
                "indexes": [
                    Index(fields=["tenant_id", "campaign_id", "status"]),
                    Index(fields=["tenant_id", "customer_id"]),
                ],
                "pk_attr": "id",
                "table_description": "One customer of a campaign's audience as it was at launch: ``treated`` (a message was queued),",
            },
            bases=["Model"],
        ),
        ops.AddField(
            model_name="OutboundMessage",
            name="campaign_id",
            field=fields.UUIDField(null=True, description="The campaign it belongs to; sent by dispatch."),
        ),
        ops.AddIndex(
            model_name="OutboundMessage",
            index=Index(fields=["tenant_id", "campaign_id", "status"]),
        ),
        ops.RunSQL(BY_TENANT, reverse_sql=BY_ID),
    ]
