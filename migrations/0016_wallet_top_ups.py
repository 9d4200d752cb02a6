"""Top-ups of the merchant wallet through payment gateways.

``top_ups`` leads every key with tenant_id, as 0005 made the other store tables: the primary key is
(tenant_id, id), with a plain index on id for a gateway callback that names only the top-up.
"""

from uuid import uuid4

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("revisit", "0015_merchant_wallet")]

    initial = False

    operations = [
        ops.CreateModel(
            name='TopUp',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('tenant', fields.ForeignKeyField('revisit.Tenant', source_field='tenant_id', db_constraint=True, to_field='id', related_name='top_ups', on_delete=OnDelete.CASCADE)),
                ('gateway', fields.CharField(description='zarinpal or stripe', max_length=16)),
                ('amount', fields.BigIntField(description='IRR credited to the wallet when paid.')),
                ('charge_amount', fields.BigIntField(description="What the gateway charges, in charge_currency's units.")),
                ('charge_currency', fields.CharField(description="IRR for Zarinpal; the store's for Stripe.", max_length=3)),
                ('status', fields.CharField(default='pending', db_default='pending', max_length=16)),
                ('client_key', fields.CharField(description="The client's idempotency key of the start.", max_length=100)),
                ('authority', fields.CharField(null=True, description="The gateway's id of the payment.", max_length=255)),
                ('payment_url', fields.CharField(null=True, description='Where the payer pays.', max_length=1000)),
                ('ref_id', fields.CharField(null=True, description="The gateway's reference of the payment.", max_length=64)),
                ('card_mask', fields.CharField(null=True, description='The card paid with, masked.', max_length=32)),
                ('failure_code', fields.CharField(null=True, max_length=32)),
                ('failure_message', fields.CharField(null=True, max_length=300)),
                ('wallet_entry_id', fields.UUIDField(null=True, description="The wallet's top_up entry, once paid.")),
                ('created_by', fields.UUIDField(null=True, description='The user who started it.')),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('paid_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'top_ups', 'app': 'revisit', 'unique_together': (('tenant', 'client_key'), ('tenant', 'gateway', 'authority')), 'indexes': [Index(fields=['tenant_id', 'created_at', 'id']), Index(fields=['tenant_id', 'status', 'paid_at'])], 'pk_attr': 'id', 'table_description': "A payment into a store's wallet through Zarinpal or Stripe Checkout."},
            bases=['Model'],
        ),
        ops.RunSQL(
            [
                "ALTER TABLE top_ups DROP CONSTRAINT top_ups_pkey",
                "ALTER TABLE top_ups ADD CONSTRAINT top_ups_pkey PRIMARY KEY (tenant_id, id)",
                "CREATE INDEX top_ups_id_idx ON top_ups (id)",
            ],
            reverse_sql=[
                "DROP INDEX top_ups_id_idx",
                "ALTER TABLE top_ups DROP CONSTRAINT top_ups_pkey",
                "ALTER TABLE top_ups ADD CONSTRAINT top_ups_pkey PRIMARY KEY (id)",
            ],
        ),
    ]
