"""Journeys: versions, entry rules, durable waits and per-step outcomes.

- ``automation_versions``: every saved definition of a journey (one row per version; existing journeys
  get their current one);
- ``automation_step_events``: one row per step a run executed and how it ended;
- ``automations.enrolled_count``: the enrolments a journey has made (what an entry cap counts);
- ``automation_runs``: an enrolment key names an occasion of one customer (unique per journey and
  customer: ``order:<id>``, ``lapse:<day>``, ``birthday:<year>``), ``current_step_id`` (the next step, by id; existing open runs point at the
  version-1 ids ``s1``, ``s2``, …), ``exit_reason``, ``open_scope`` and at most one open run per
  (tenant, journey, customer, open_scope) — ``open_scope`` is '' (a customer is in a journey once at a
  time) or the order of a once-per-order order journey (each order has its own run, as runs enrolled
  before this migration had).

The new store tables lead every key with tenant_id, as 0005 made the others.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from uuid import uuid4
from tortoise import fields
from tortoise.indexes import Index
from tortoise.migrations.constraints import UniqueConstraint

STORE_TABLES = ("automation_versions", "automation_step_events")
LINKS = (
    ("automation_versions", "automation_id", "automations"),
    ("automation_step_events", "automation_id", "automations"),
    ("automation_step_events", "run_id", "automation_runs"),
)

# The migration schema editor writes a link to (id) whatever db_constraint says, and automations and
# their runs have no unique (id) since 0005: temporary unique indexes let those links be made, and go
# with them.
BEFORE = [
    "CREATE UNIQUE INDEX automations_id_for_0011 ON automations (id)",
    "CREATE UNIQUE INDEX automation_runs_id_for_0011 ON automation_runs (id)",
]
_UNDO_BEFORE = [
    "DROP INDEX IF EXISTS automations_id_for_0011",
    "DROP INDEX IF EXISTS automation_runs_id_for_0011",
]

_DROP_LINKS = """
DO $$
DECLARE link record;
BEGIN
    FOR link IN
        SELECT conname, conrelid::regclass AS tbl FROM pg_constraint
        WHERE contype = 'f'
          AND conrelid IN ('automation_versions'::regclass, 'automation_step_events'::regclass)
          AND confrelid <> 'tenants'::regclass
    LOOP
        EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', link.tbl, link.conname);
    END LOOP;
END $$
"""

_BACKFILL = [
    "INSERT INTO automation_versions (id, tenant_id, automation_id, version, definition, created_at)"
    " SELECT gen_random_uuid(), tenant_id, id, version, definition, updated_at FROM automations",
    "UPDATE automations AS a SET enrolled_count = r.n"
    " FROM (SELECT tenant_id, automation_id, count(*) AS n FROM automation_runs"
    " GROUP BY tenant_id, automation_id) AS r"
    " WHERE a.tenant_id = r.tenant_id AND a.id = r.automation_id",
    "UPDATE automation_runs SET open_scope = COALESCE(order_id::text, ''),"
    " current_step_id = CASE WHEN state IN ('pending', 'waiting') THEN 's' || (current_step + 1) END",
]


def _by_tenant() -> list[str]:
    statements = [_DROP_LINKS]
    for table in STORE_TABLES:
        statements += [
            f"ALTER TABLE {table} DROP CONSTRAINT {table}_pkey",
            f"ALTER TABLE {table} ADD CONSTRAINT {table}_pkey PRIMARY KEY (tenant_id, id)",
            f"CREATE INDEX {table}_id_idx ON {table} (id)",
        ]
    for table, column, target in LINKS:
        statements.append(
            f"ALTER TABLE {table} ADD CONSTRAINT {table}_{column}_fkey FOREIGN KEY (tenant_id, {column})"
            f" REFERENCES {target} (tenant_id, id) ON DELETE CASCADE"
        )
    statements += [
        *_UNDO_BEFORE,
        *_BACKFILL,
        "CREATE UNIQUE INDEX automation_runs_open ON automation_runs"
        " (tenant_id, automation_id, customer_id, open_scope) WHERE state IN ('pending', 'waiting')",
        "CREATE INDEX automation_runs_due ON automation_runs (tenant_id, due_at)"
        " WHERE state IN ('pending', 'waiting')",
    ]
    return statements


def _by_id() -> list[str]:
    statements = [
        "DROP INDEX automation_runs_due",
        "DROP INDEX automation_runs_open",
        *[f"ALTER TABLE {table} DROP CONSTRAINT {table}_{column}_fkey" for table, column, _ in LINKS],
    ]
    for table in STORE_TABLES:
        statements += [
            f"DROP INDEX {table}_id_idx",
            f"ALTER TABLE {table} DROP CONSTRAINT {table}_pkey",
            f"ALTER TABLE {table} ADD CONSTRAINT {table}_pkey PRIMARY KEY (id)",
        ]
    return [*statements, *BEFORE]


class Migration(migrations.Migration):
    dependencies = [("revisit", "0010_sending_policy")]

    initial = False

    operations = [
        ops.RunSQL(BEFORE, reverse_sql=_UNDO_BEFORE),
        ops.CreateModel(
            name='AutomationStepEvent',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('tenant', fields.ForeignKeyField('revisit.Tenant', source_field='tenant_id', db_constraint=True, to_field='id', related_name='automation_step_events', on_delete=OnDelete.CASCADE)),
                ('automation', fields.ForeignKeyField('revisit.Automation', source_field='automation_id', db_constraint=False, to_field='id', related_name='step_events', on_delete=OnDelete.CASCADE)),
                ('run', fields.ForeignKeyField('revisit.AutomationRun', source_field='run_id', db_constraint=False, to_field='id', related_name='step_events', on_delete=OnDelete.CASCADE)),
                ('automation_version', fields.IntField(default=1, db_default=1)),
                ('step_id', fields.CharField(max_length=40)),
                ('step_type', fields.CharField(default='', db_default='', max_length=32)),
                ('outcome', fields.CharField(max_length=16)),
                ('occurred_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('message_id', fields.UUIDField(null=True)),
                ('credit_amount', fields.BigIntField(default=0, db_default=0)),
                ('coupon_id', fields.UUIDField(null=True)),
                ('note', fields.CharField(default='', db_default='', max_length=500)),
            ],
            options={'table': 'automation_step_events', 'app': 'revisit', 'indexes': [Index(fields=['tenant_id', 'automation_id', 'step_id', 'outcome']), Index(fields=['tenant_id', 'run_id', 'occurred_at'])], 'pk_attr': 'id', 'table_description': 'One step a run executed and how it ended: done, skipped, failed, exited or waiting.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AutomationVersion',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('tenant', fields.ForeignKeyField('revisit.Tenant', source_field='tenant_id', db_constraint=True, to_field='id', related_name='automation_versions', on_delete=OnDelete.CASCADE)),
                ('automation', fields.ForeignKeyField('revisit.Automation', source_field='automation_id', db_constraint=False, to_field='id', related_name='versions', on_delete=OnDelete.CASCADE)),
                ('version', fields.IntField()),
                ('definition', fields.JSONField(encoder=JSON_DUMPS, decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'automation_versions', 'app': 'revisit', 'unique_together': (('tenant', 'automation', 'version'),), 'pk_attr': 'id', 'table_description': "One version of a journey's definition, as it was saved. Runs point at theirs by number."},
            bases=['Model'],
        ),
        ops.AlterModelOptions(
            name='Automation',
            options={'table': 'automations', 'app': 'revisit', 'indexes': [Index(fields=['tenant_id', 'status', 'trigger'])], 'pk_attr': 'id', 'table_description': 'A journey: trigger, conditions, entry rule and ordered steps. ``definition`` holds the newest'},
        ),
        ops.AddField(
            model_name='Automation',
            name='enrolled_count',
            field=fields.IntField(default=0, description='Enrolments ever made (what the entry cap counts).', db_default=0),
        ),
        ops.RemoveConstraint(
            model_name='AutomationRun',
            name=None,
            fields=['tenant', 'automation', 'enrolment_key'],
        ),
        ops.AlterModelOptions(
            name='AutomationRun',
            options={'table': 'automation_runs', 'app': 'revisit', 'unique_together': (('tenant', 'automation', 'customer', 'enrolment_key'),), 'indexes': [Index(fields=['tenant_id', 'state', 'due_at']), Index(fields=['tenant_id', 'order_id']), Index(fields=['tenant_id', 'automation_id', 'customer_id', 'created_at'])], 'pk_attr': 'id', 'table_description': 'One enrolment of one customer in one journey. Unique per (journey, customer, enrolment key — the'},
        ),
        ops.AddConstraint(
            model_name='AutomationRun',
            constraint=UniqueConstraint(fields=('tenant', 'automation', 'customer', 'enrolment_key'), name=None),
        ),
        ops.AlterField(
            model_name='AutomationRun',
            name='current_step',
            field=fields.IntField(default=0, description='Position of current_step_id.', db_default=0),
        ),
        ops.AddField(
            model_name='AutomationRun',
            name='current_step_id',
            field=fields.CharField(null=True, description='The next step; null when final.', max_length=40),
        ),
        ops.AddField(
            model_name='AutomationRun',
            name='exit_reason',
            field=fields.CharField(null=True, max_length=32),
        ),
        ops.AddField(
            model_name='AutomationRun',
            name='open_scope',
            field=fields.CharField(default='', description="What 'already in the journey' means for this run: '' (the customer) or the order.", db_default='', max_length=64),
        ),
        ops.AddIndex(
            model_name='AutomationRun',
            index=Index(fields=['tenant_id', 'automation_id', 'customer_id', 'created_at']),
        ),
        ops.RunSQL(_by_tenant(), reverse_sql=_by_id()),
    ]
