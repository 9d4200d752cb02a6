"""Coupons: templates (what a code gives and on what terms), the codes issued from them (unique per store,
stored upper-case, an issue's idempotency key unique per store) and their redemptions (one per code and
order).

The tables lead every key with tenant_id, as 0005 made the others, and link to each other, to customers
and to orders as (tenant_id, x_id) → (tenant_id, id). Codes use the "C" collation, so the unique
(tenant, code) index also serves the owner's search by the start of a code; the indexes only codes issued
to a customer need are partial (RunSQL: their conditions are not equalities).
"""

from orjson import loads
from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise.indexes import Index
from tortoise.migrations import operations as ops
from uuid import uuid4

STORE_TABLES = ("coupon_templates", "coupons", "coupon_redemptions")
LINKS = (
    ("coupons", "template_id", "coupon_templates", "CASCADE"),
    ("coupons", "customer_id", "customers", "CASCADE"),
    ("coupon_redemptions", "coupon_id", "coupons", "CASCADE"),
    ("coupon_redemptions", "order_id", "orders", "CASCADE"),
)

# The migration schema editor writes a link to (id) whatever db_constraint says, and customers and orders
# have no unique (id) since 0005: temporary unique indexes let those links be made, and go with them.
BEFORE = [
    "CREATE UNIQUE INDEX customers_id_for_0009 ON customers (id)",
    "CREATE UNIQUE INDEX orders_id_for_0009 ON orders (id)",
]
_AFTER_BEFORE = ["DROP INDEX IF EXISTS customers_id_for_0009", "DROP INDEX IF EXISTS orders_id_for_0009"]

_DROP_LINKS = """
DO $$
DECLARE link record;
BEGIN
    FOR link IN
        SELECT conname, conrelid::regclass AS tbl FROM pg_constraint
        WHERE contype = 'f' AND conrelid IN ('coupons'::regclass, 'coupon_redemptions'::regclass)
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
    for table, column, target, action in LINKS:
        statements.append(
            f"ALTER TABLE {table} ADD CONSTRAINT {table}_{column}_fkey FOREIGN KEY (tenant_id, {column})"
            f" REFERENCES {target} (tenant_id, id) ON DELETE {action}"
        )
    return [*statements, *_AFTER_BEFORE, *_LEAN]


# Codes are ASCII and compared byte for byte: with the "C" collation the unique (tenant, code) index also
# serves prefix searches (LIKE 'YALDA-%') in any database collation. Indexes only codes issued to a
# customer need are partial, so bulk shared codes do not pay for them; and pages keep room for the
# redemption count's updates to stay on their page (HOT), touching no index.
_LEAN = [
    'ALTER TABLE coupons ALTER COLUMN code TYPE varchar(64) COLLATE "C"',
    "CREATE INDEX coupons_customer ON coupons (tenant_id, customer_id) WHERE customer_id IS NOT NULL",
    "CREATE INDEX coupons_expiring ON coupons (tenant_id, expires_at)"
    " WHERE customer_id IS NOT NULL AND revoked_at IS NULL",
    "ALTER TABLE coupons SET (fillfactor = 90)",
]
_UNLEAN = [
    "ALTER TABLE coupons RESET (fillfactor)",
    "DROP INDEX coupons_expiring",
    "DROP INDEX coupons_customer",
    "ALTER TABLE coupons ALTER COLUMN code TYPE varchar(64)",
]


def _by_id() -> list[str]:
    statements = list(_UNLEAN)
    statements += [f"ALTER TABLE {table} DROP CONSTRAINT {table}_{column}_fkey" for table, column, _, _ in LINKS]
    for table in STORE_TABLES:
        statements += [
            f"DROP INDEX {table}_id_idx",
            f"ALTER TABLE {table} DROP CONSTRAINT {table}_pkey",
            f"ALTER TABLE {table} ADD CONSTRAINT {table}_pkey PRIMARY KEY (id)",
        ]
    return [*statements, *BEFORE]


class Migration(migrations.Migration):
    dependencies = [("revisit", "0008_segment_condition_indexes")]

    initial = False

    operations = [
        ops.RunSQL(BEFORE, reverse_sql=_AFTER_BEFORE),
        ops.CreateModel(
            name='CouponTemplate',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('tenant', fields.ForeignKeyField('revisit.Tenant', source_field='tenant_id', db_constraint=True, to_field='id', related_name='coupon_templates', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=120)),
                ('description', fields.CharField(default='', db_default='', max_length=500)),
                ('kind', fields.CharField(max_length=16)),
                ('value', fields.BigIntField(default=0, description='Percent (1–100) or minor units.', db_default=0)),
                ('minimum_cart', fields.BigIntField(default=0, description='Minor units; 0 for none.', db_default=0)),
                ('maximum_discount', fields.BigIntField(null=True, description='Minor units; null for no cap.')),
                ('product_ids', fields.JSONField(default=list, description='Only these products; [] for all.', encoder=JSON_DUMPS, decoder=loads)),
                ('excluded_product_ids', fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ('category_ids', fields.JSONField(default=list, description='Only these categories; [] for all.', encoder=JSON_DUMPS, decoder=loads)),
                ('excluded_category_ids', fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ('first_order_only', fields.BooleanField(default=False, db_default=False)),
                ('usage_limit', fields.IntField(null=True, description='Uses of one code in all; null for no limit.')),
                ('usage_limit_per_customer', fields.IntField(null=True, description='Uses of one code per customer.')),
                ('starts_at', fields.DatetimeField(null=True, description='Codes work from this moment on.', auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(null=True, description='Codes stop working at this moment.', auto_now=False, auto_now_add=False)),
                ('valid_days', fields.IntField(null=True, description='Codes stop working this many days after issue.')),
                ('code_prefix', fields.CharField(default='', db_default='', max_length=12)),
                ('archived_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'coupon_templates', 'app': 'revisit', 'unique_together': (('tenant', 'name'),), 'indexes': [Index(fields=['tenant_id', 'created_at', 'id'])], 'pk_attr': 'id', 'table_description': 'What a coupon gives and on what terms; codes are issued from it.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Coupon',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('tenant', fields.ForeignKeyField('revisit.Tenant', source_field='tenant_id', db_constraint=True, to_field='id', related_name='coupons', on_delete=OnDelete.CASCADE)),
                ('template', fields.ForeignKeyField('revisit.CouponTemplate', source_field='template_id', db_constraint=False, to_field='id', related_name='coupons', on_delete=OnDelete.CASCADE)),
                ('code', fields.CharField(max_length=64)),
                ('customer', fields.ForeignKeyField('revisit.Customer', source_field='customer_id', null=True, db_constraint=False, to_field='id', related_name='coupons', on_delete=OnDelete.CASCADE)),
                ('origin_key', fields.CharField(null=True, description="An issue's idempotency key.", max_length=200)),
                ('issued_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('redemptions_count', fields.IntField(default=0, description='Live (not returned) uses.', db_default=0)),
            ],
            options={'table': 'coupons', 'app': 'revisit', 'unique_together': (('tenant', 'code'), ('tenant', 'origin_key')), 'indexes': [Index(fields=['tenant_id', 'issued_at', 'id']), Index(fields=['tenant_id', 'template_id', 'issued_at'])], 'pk_attr': 'id', 'table_description': 'One code. ``code`` is stored normalised (upper case); ``customer`` is set for a code issued to'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CouponRedemption',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('tenant', fields.ForeignKeyField('revisit.Tenant', source_field='tenant_id', db_constraint=True, to_field='id', related_name='coupon_redemptions', on_delete=OnDelete.CASCADE)),
                ('coupon', fields.ForeignKeyField('revisit.Coupon', source_field='coupon_id', db_constraint=False, to_field='id', related_name='redemptions', on_delete=OnDelete.CASCADE)),
                ('order', fields.ForeignKeyField('revisit.Order', source_field='order_id', db_constraint=False, to_field='id', related_name='coupon_redemptions', on_delete=OnDelete.CASCADE)),
                ('customer_id', fields.UUIDField(null=True, description="The order's customer when it was redeemed.")),
                ('state', fields.CharField(default='redeemed', db_default='redeemed', max_length=16)),
                ('discount', fields.BigIntField(default=0, description="This code's share of the discount.", db_default=0)),
                ('order_total', fields.BigIntField(default=0, db_default=0)),
                ('redeemed_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('returned_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'coupon_redemptions', 'app': 'revisit', 'unique_together': (('tenant', 'coupon', 'order'),), 'indexes': [Index(fields=['tenant_id', 'order_id']), Index(fields=['tenant_id', 'customer_id'])], 'pk_attr': 'id', 'table_description': "One order's use of one code (one row per coupon and order)."},
            bases=['Model'],
        ),
        ops.RunSQL(_by_tenant(), reverse_sql=_by_id()),
    ]
