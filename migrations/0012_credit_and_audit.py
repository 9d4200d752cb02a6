"""Credit that behaves like money (expiry, partial refunds, adjustments) and the audit trail.

- ``audit_entries``: who did what in a store, keyed (tenant_id, id) like every store table since 0005.
- Two partial indexes on ``credit_entries`` (RunSQL: their conditions are not equalities): the grants
  that can expire, by expiry time, for the daily expiry pass and the "credit expiring in N days"
  trigger; and the lines that reverse or expire a grant, by the grant, to know what is left of it.
"""

from uuid import uuid4

from orjson import loads
from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

BY_TENANT = [
    "ALTER TABLE audit_entries DROP CONSTRAINT audit_entries_pkey",
    "ALTER TABLE audit_entries ADD CONSTRAINT audit_entries_pkey PRIMARY KEY (tenant_id, id)",
    "CREATE INDEX audit_entries_id_idx ON audit_entries (id)",
    "CREATE INDEX credit_entries_expiring ON credit_entries (tenant_id, expires_at)"
    " WHERE expires_at IS NOT NULL AND amount > 0",
    "CREATE INDEX credit_entries_reversing ON credit_entries (tenant_id, reverses_id)"
    " WHERE reverses_id IS NOT NULL",
]
BY_ID = [
    "DROP INDEX credit_entries_reversing",
    "DROP INDEX credit_entries_expiring",
    "DROP INDEX audit_entries_id_idx",
    "ALTER TABLE audit_entries DROP CONSTRAINT audit_entries_pkey",
    "ALTER TABLE audit_entries ADD CONSTRAINT audit_entries_pkey PRIMARY KEY (id)",
]


class Migration(migrations.Migration):
    dependencies = [("revisit", "0011_journeys")]

    initial = False

    operations = [
        ops.CreateModel(
            name="AuditEntry",
            fields=[
                ("id", fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                (
                    "tenant",
                    fields.ForeignKeyField(
                        "revisit.Tenant",
                        source_field="tenant_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="audit_entries",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "actor_user_id",
                    fields.UUIDField(null=True, description="The user who acted; null for the platform."),
                ),
                (
                    "action",
                    fields.CharField(description="What was done, e.g. credit.adjusted.", max_length=64),
                ),
                (
                    "subject_type",
                    fields.CharField(description="What it was done to, e.g. customer.", max_length=32),
                ),
                ("subject_id", fields.CharField(max_length=64)),
                ("detail", fields.JSONField(default=dict, encoder=JSON_DUMPS, decoder=loads)),
                ("at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "audit_entries",
                "app": "revisit",
                "indexes": [
                    Index(fields=["tenant_id", "at"]),
                    Index(fields=["tenant_id", "subject_type", "subject_id", "at"]),
                ],
                "pk_attr": "id",
                "table_description": (
                    "One consequential action taken in a store by a person, as it happened. "
                    "Never changed or removed."
                ),
            },
            bases=["Model"],
        ),
        ops.RunSQL(BY_TENANT, reverse_sql=BY_ID),
    ]
