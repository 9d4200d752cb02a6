"""The merchant wallet: its ledger, reservations, plans and tariffs, and the store owner's billing settings.

- ``wallets`` (one row per store: the cached balance and reserved sums, plan and hold), ``wallet_entries``
  (the append-only ledger), ``wallet_reservations``, ``plan_periods`` and ``tenant_tariffs`` lead every key
  with tenant_id, as 0005 made the other store tables. ``platform_tariffs`` has no store: a reference table.
- CHECK constraints keep a wallet from going below zero (``0 <= reserved <= balance``) and a reservation's
  remainder within its amount, whatever code writes them.
- ``tenants`` gains ``owner_phone`` and ``low_balance_threshold``.
"""

from uuid import uuid4

from orjson import loads
from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

STORE_TABLES = ("wallets", "wallet_entries", "wallet_reservations", "plan_periods", "tenant_tariffs")


def _by_tenant() -> list[str]:
    statements: list[str] = []
    for table in STORE_TABLES:
        statements += [
            f"ALTER TABLE {table} DROP CONSTRAINT {table}_pkey",
            f"ALTER TABLE {table} ADD CONSTRAINT {table}_pkey PRIMARY KEY (tenant_id, id)",
            f"CREATE INDEX {table}_id_idx ON {table} (id)",
        ]
    return [
        *statements,
        "ALTER TABLE wallets ADD CONSTRAINT wallets_never_below_zero CHECK (reserved >= 0 AND balance >= reserved)",
        "ALTER TABLE wallet_reservations ADD CONSTRAINT wallet_reservations_within_amount"
        " CHECK (remaining >= 0 AND remaining <= amount)",
        "CREATE INDEX wallet_entries_by_reservation ON wallet_entries (tenant_id, reservation_key)"
        " WHERE reservation_key IS NOT NULL",
    ]


def _by_id() -> list[str]:
    statements = [
        "DROP INDEX wallet_entries_by_reservation",
        "ALTER TABLE wallet_reservations DROP CONSTRAINT wallet_reservations_within_amount",
        "ALTER TABLE wallets DROP CONSTRAINT wallets_never_below_zero",
    ]
    for table in STORE_TABLES:
        statements += [
            f"DROP INDEX {table}_id_idx",
            f"ALTER TABLE {table} DROP CONSTRAINT {table}_pkey",
            f"ALTER TABLE {table} ADD CONSTRAINT {table}_pkey PRIMARY KEY (id)",
        ]
    return statements


class Migration(migrations.Migration):
    dependencies = [("revisit", "0014_date_trigger_indexes")]

    initial = False

    operations = [
        ops.CreateModel(
            name="PlanPeriod",
            fields=[
                ("id", fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                (
                    "tenant",
                    fields.ForeignKeyField(
                        "revisit.Tenant",
                        source_field="tenant_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="plan_periods",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("plan", fields.CharField(max_length=16)),
                ("starts_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("ends_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("fee", fields.BigIntField()),
                ("charge_key", fields.CharField(max_length=200)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "plan_periods",
                "app": "revisit",
                "unique_together": (("tenant", "starts_at"),),
                "pk_attr": "id",
                "table_description": "A paid period of a store's annual plan.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="PlatformTariff",
            fields=[
                ("id", fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ("effective_from", fields.DatetimeField(unique=True, auto_now=False, auto_now_add=False)),
                ("annual_fee", fields.BigIntField()),
                ("journey_run_price", fields.BigIntField()),
                ("sms_part_price", fields.BigIntField()),
                (
                    "provider_part_prices",
                    fields.JSONField(
                        default=dict,
                        description="A part price per provider (kavenegar, smsir) instead of sms_part_price.",
                        encoder=JSON_DUMPS,
                        decoder=loads,
                    ),
                ),
                (
                    "created_by",
                    fields.UUIDField(
                        null=True, description="The admin who set it; null: seeded from settings."
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "platform_tariffs",
                "app": "revisit",
                "pk_attr": "id",
                "table_description": "The platform's tariff table: prices in IRR by the moment they take effect.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="TenantTariff",
            fields=[
                ("id", fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                (
                    "tenant",
                    fields.ForeignKeyField(
                        "revisit.Tenant",
                        source_field="tenant_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="tariffs",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("effective_from", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("annual_fee", fields.BigIntField(null=True)),
                ("journey_run_price", fields.BigIntField(null=True)),
                ("sms_part_price", fields.BigIntField(null=True)),
                ("provider_part_prices", fields.JSONField(default=dict, encoder=JSON_DUMPS, decoder=loads)),
                ("created_by", fields.UUIDField(null=True)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "tenant_tariffs",
                "app": "revisit",
                "unique_together": (("tenant", "effective_from"),),
                "pk_attr": "id",
                "table_description": "A store's tariff overrides by the moment they take effect.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Wallet",
            fields=[
                ("id", fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                (
                    "tenant",
                    fields.OneToOneField(
                        "revisit.Tenant",
                        source_field="tenant_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="wallet",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "balance",
                    fields.BigIntField(
                        default=0, description="IRR the store has prepaid and not spent.", db_default=0
                    ),
                ),
                (
                    "reserved",
                    fields.BigIntField(
                        default=0,
                        description="IRR of the balance set aside for work under way (campaigns).",
                        db_default=0,
                    ),
                ),
                (
                    "plan",
                    fields.CharField(
                        default="pay_as_you_go",
                        description="pay_as_you_go or annual",
                        db_default="pay_as_you_go",
                        max_length=16,
                    ),
                ),
                (
                    "hold_reason",
                    fields.CharField(
                        null=True,
                        description="Why the store cannot send now (insufficient_funds); null: not held.",
                        max_length=32,
                    ),
                ),
                ("held_since", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("hold_needed", fields.BigIntField(null=True, description="IRR the refused charge needed.")),
                (
                    "hold_notified_at",
                    fields.DatetimeField(
                        null=True,
                        description="When the owner was told of this hold.",
                        auto_now=False,
                        auto_now_add=False,
                    ),
                ),
                (
                    "low_balance_warned_at",
                    fields.DatetimeField(
                        null=True,
                        description="When the owner was warned the balance fell below the threshold; cleared above it.",
                        auto_now=False,
                        auto_now_add=False,
                    ),
                ),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={
                "table": "wallets",
                "app": "revisit",
                "pk_attr": "id",
                "table_description": "One store's prepaid wallet: cached sums of its ledger, its plan and its hold.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="WalletEntry",
            fields=[
                ("id", fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                (
                    "tenant",
                    fields.ForeignKeyField(
                        "revisit.Tenant",
                        source_field="tenant_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="wallet_entries",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "kind",
                    fields.CharField(
                        description="top_up, charge, reservation, release, refund, adjustment", max_length=16
                    ),
                ),
                (
                    "charge_kind",
                    fields.CharField(
                        null=True, description="sms, journey_run or subscription", max_length=16
                    ),
                ),
                ("amount", fields.BigIntField()),
                ("balance_delta", fields.BigIntField()),
                ("reserved_delta", fields.BigIntField(default=0, db_default=0)),
                ("idempotency_key", fields.CharField(max_length=200)),
                (
                    "reservation_key",
                    fields.CharField(
                        null=True,
                        description="The reservation a charge consumed or a release freed.",
                        max_length=200,
                    ),
                ),
                (
                    "reference",
                    fields.CharField(
                        null=True, description="What paid or caused it, e.g. zarinpal:<id>.", max_length=200
                    ),
                ),
                (
                    "unit_price",
                    fields.BigIntField(null=True, description="The price a charge used (IRR per unit)."),
                ),
                (
                    "quantity",
                    fields.IntField(null=True, description="Units charged (SMS parts, runs, periods)."),
                ),
                ("note", fields.CharField(default="", db_default="", max_length=255)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "wallet_entries",
                "app": "revisit",
                "unique_together": (("tenant", "idempotency_key"),),
                "indexes": [
                    Index(fields=["tenant_id", "created_at"]),
                    Index(fields=["tenant_id", "kind", "created_at"]),
                ],
                "pk_attr": "id",
                "table_description": "One line of a store's wallet ledger in IRR, with its idempotency key.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="WalletReservation",
            fields=[
                ("id", fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                (
                    "tenant",
                    fields.ForeignKeyField(
                        "revisit.Tenant",
                        source_field="tenant_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="wallet_reservations",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("key", fields.CharField(max_length=200)),
                ("amount", fields.BigIntField()),
                (
                    "remaining",
                    fields.BigIntField(description="What charges and releases have not consumed yet."),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={
                "table": "wallet_reservations",
                "app": "revisit",
                "unique_together": (("tenant", "key"),),
                "pk_attr": "id",
                "table_description": "A reservation in a store's wallet; remaining is a cache of its ledger lines.",
            },
            bases=["Model"],
        ),
        ops.AddField(
            model_name="Tenant",
            name="low_balance_threshold",
            field=fields.BigIntField(
                null=True,
                description="IRR; the owner is warned once when the available balance falls below it.",
            ),
        ),
        ops.AddField(
            model_name="Tenant",
            name="owner_phone",
            field=fields.CharField(
                null=True,
                description="E.164; where billing notices (hold, low balance) are sent.",
                max_length=20,
            ),
        ),
        ops.RunSQL(_by_tenant(), reverse_sql=_by_id()),
    ]
