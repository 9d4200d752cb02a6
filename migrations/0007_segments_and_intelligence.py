"""Customer intelligence and segments: the metrics, scores, stage and prediction columns of customers
(birthday month and day in the store's calendar), one row of what is known of each store, segments with
their memberships (entered and left times) and size history, the customer an event was about, and an
index of order lines by product for purchase conditions.

The new store tables lead every key with tenant_id, as 0005 made the others.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from uuid import uuid4
from tortoise import fields
from tortoise.indexes import Index, PartialIndex

STORE_TABLES = ("segments", "segment_memberships", "segment_sizes", "store_intelligence")
LINKS = (
    ("segment_memberships", "segment_id", "segments"),
    ("segment_memberships", "customer_id", "customers"),
    ("segment_sizes", "segment_id", "segments"),
)


# The migration schema editor writes a link to (id) whatever db_constraint says, and customers have no
# unique (id) since 0005: a temporary unique index lets those links be made, and goes with them.
BEFORE = ["CREATE UNIQUE INDEX customers_id_for_0007 ON customers (id)"]

_DROP_LINKS = """
DO $$
DECLARE link record;
BEGIN
    FOR link IN
        SELECT conname, conrelid::regclass AS tbl FROM pg_constraint
        WHERE contype = 'f' AND conrelid IN ('segment_memberships'::regclass, 'segment_sizes'::regclass)
          AND confrelid <> 'tenants'::regclass
    LOOP
        EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', link.tbl, link.conname);
    END LOOP;
END $$
"""


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
        "DROP INDEX customers_id_for_0007",
        "CREATE UNIQUE INDEX segment_memberships_open ON segment_memberships (tenant_id, segment_id, customer_id)"
        " WHERE left_at IS NULL",
    ]
    return statements


def _by_id() -> list[str]:
    statements = [f"ALTER TABLE {table} DROP CONSTRAINT {table}_{column}_fkey" for table, column, _ in LINKS]
    statements.append("DROP INDEX segment_memberships_open")
    for table in STORE_TABLES:
        statements += [
            f"DROP INDEX {table}_id_idx",
            f"ALTER TABLE {table} DROP CONSTRAINT {table}_pkey",
            f"ALTER TABLE {table} ADD CONSTRAINT {table}_pkey PRIMARY KEY (id)",
        ]
    return [*statements, *BEFORE]


class Migration(migrations.Migration):
    dependencies = [('revisit', '0006_order_lines_digest')]

    initial = False

    operations = [
        ops.RunSQL(BEFORE, reverse_sql=["DROP INDEX IF EXISTS customers_id_for_0007"]),
        ops.CreateModel(
            name='Segment',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('tenant', fields.ForeignKeyField('revisit.Tenant', source_field='tenant_id', db_constraint=True, to_field='id', related_name='segments', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=120)),
                ('description', fields.CharField(default='', db_default='', max_length=500)),
                ('kind', fields.CharField(max_length=16)),
                ('builtin_key', fields.CharField(null=True, max_length=32)),
                ('definition', fields.JSONField(null=True, encoder=JSON_DUMPS, decoder=loads)),
                ('revision', fields.IntField(default=1, description='Bumped by every edit of the definition.', db_default=1)),
                ('member_count', fields.IntField(default=0, db_default=0)),
                ('refreshed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'segments', 'app': 'revisit', 'unique_together': (('tenant', 'name'), ('tenant', 'builtin_key')), 'pk_attr': 'id', 'table_description': "A named group of a store's customers. ``definition`` is the versioned condition tree."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SegmentMembership',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('tenant', fields.ForeignKeyField('revisit.Tenant', source_field='tenant_id', db_constraint=True, to_field='id', related_name='segment_memberships', on_delete=OnDelete.CASCADE)),
                ('segment', fields.ForeignKeyField('revisit.Segment', source_field='segment_id', db_constraint=False, to_field='id', related_name='memberships', on_delete=OnDelete.CASCADE)),
                ('customer', fields.ForeignKeyField('revisit.Customer', source_field='customer_id', db_constraint=False, to_field='id', related_name='segment_memberships', on_delete=OnDelete.CASCADE)),
                ('entered_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('left_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'segment_memberships', 'app': 'revisit', 'indexes': [Index(fields=['tenant_id', 'customer_id', 'entered_at'])], 'pk_attr': 'id', 'table_description': 'One stay of one customer in one segment: open while ``left_at`` is null.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SegmentSize',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('tenant', fields.ForeignKeyField('revisit.Tenant', source_field='tenant_id', db_constraint=True, to_field='id', related_name='segment_sizes', on_delete=OnDelete.CASCADE)),
                ('segment', fields.ForeignKeyField('revisit.Segment', source_field='segment_id', db_constraint=False, to_field='id', related_name='sizes', on_delete=OnDelete.CASCADE)),
                ('measured_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('size', fields.IntField()),
                ('entered', fields.IntField()),
                ('left', fields.IntField()),
            ],
            options={'table': 'segment_sizes', 'app': 'revisit', 'indexes': [Index(fields=['tenant_id', 'segment_id', 'measured_at'])], 'pk_attr': 'id', 'table_description': 'The size of a segment after a refresh, and how many entered and left in it.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='StoreIntelligence',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('tenant', fields.OneToOneField('revisit.Tenant', source_field='tenant_id', db_constraint=True, to_field='id', related_name='intelligence', on_delete=OnDelete.CASCADE)),
                ('purchase_cycle_days', fields.FloatField(default=30.0, description="The typical days between a customer's orders.", db_default=30.0)),
                ('cycle_learnt', fields.BooleanField(default=False, description="Whether the cycle is the store's own or the default.", db_default=False)),
                ('returning_customers', fields.IntField(default=0, db_default=0)),
                ('recency_breaks', fields.JSONField(default=list, description='Days since last order, 4 cuts', encoder=JSON_DUMPS, decoder=loads)),
                ('frequency_breaks', fields.JSONField(default=list, description='Orders count, 4 cuts', encoder=JSON_DUMPS, decoder=loads)),
                ('monetary_breaks', fields.JSONField(default=list, description='Total spent, 4 cuts', encoder=JSON_DUMPS, decoder=loads)),
                ('model_r', fields.FloatField(null=True)),
                ('model_alpha', fields.FloatField(null=True, description='In days.')),
                ('model_a', fields.FloatField(null=True)),
                ('model_b', fields.FloatField(null=True)),
                ('model_fitted', fields.BooleanField(default=False, description='Fitted to the store, or the published priors.', db_default=False)),
                ('model_customers', fields.IntField(default=0, db_default=0)),
                ('refreshed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('refreshed_on', fields.DateField(null=True, description="The store's local date of the last full refresh.")),
            ],
            options={'table': 'store_intelligence', 'app': 'revisit', 'pk_attr': 'id', 'table_description': 'One row per store, rewritten by each full refresh and read by every incremental one.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Customer',
            name='average_days_between_orders',
            field=fields.FloatField(null=True),
        ),
        ops.AddField(
            model_name='Customer',
            name='average_order_value',
            field=fields.BigIntField(default=0, description='total_spent / orders_count', db_default=0),
        ),
        ops.AddField(
            model_name='Customer',
            name='birth_day',
            field=fields.SmallIntField(null=True, description="The birthday's day of month in the store's calendar."),
        ),
        ops.AddField(
            model_name='Customer',
            name='birth_month',
            field=fields.SmallIntField(null=True, description="The birthday's month in the store's calendar."),
        ),
        ops.AddField(
            model_name='Customer',
            name='frequency_score',
            field=fields.SmallIntField(null=True, description="1-5, quintiles of the store's customers"),
        ),
        ops.AddField(
            model_name='Customer',
            name='lifecycle_stage',
            field=fields.CharField(default='prospect', db_default='prospect', max_length=16),
        ),
        ops.AddField(
            model_name='Customer',
            name='median_days_between_orders',
            field=fields.FloatField(null=True),
        ),
        ops.AddField(
            model_name='Customer',
            name='monetary_score',
            field=fields.SmallIntField(null=True, description="1-5, quintiles of the store's customers"),
        ),
        ops.AddField(
            model_name='Customer',
            name='recency_score',
            field=fields.SmallIntField(null=True, description="1-5, quintiles of the store's customers"),
        ),
        ops.AddField(
            model_name='Customer',
            name='refunded_total',
            field=fields.BigIntField(default=0, db_default=0),
        ),
        ops.AddField(
            model_name='Customer',
            name='refunds_count',
            field=fields.IntField(default=0, db_default=0),
        ),
        ops.AddIndex(
            model_name='Customer',
            index=Index(fields=['tenant_id', 'last_order_at']),
        ),
        ops.AddField(
            model_name='IngestedEvent',
            name='customer_id',
            field=fields.UUIDField(null=True, description='The customer processing found it to be about.'),
        ),
        ops.AddIndex(
            model_name='IngestedEvent',
            index=Index(fields=['tenant_id', 'customer_id', 'occurred_at']),
        ),
        ops.AddIndex(
            model_name='OrderItem',
            index=Index(fields=['tenant_id', 'product_id']),
        ),
        ops.RunSQL(_by_tenant(), reverse_sql=_by_id()),
    ]
