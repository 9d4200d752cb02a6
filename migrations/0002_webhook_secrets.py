from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('revisit', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='WebhookSecret',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('tenant', fields.ForeignKeyField('revisit.Tenant', source_field='tenant_id', db_constraint=True, to_field='id', related_name='webhook_secrets', on_delete=OnDelete.CASCADE)),
                ('store_key', fields.OneToOneField('revisit.StoreKey', source_field='store_key_id', db_constraint=True, to_field='id', related_name='webhook_secret', on_delete=OnDelete.CASCADE)),
                ('ciphertext', fields.BinaryField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'webhook_secrets', 'app': 'revisit', 'pk_attr': 'id', 'table_description': "The secret a store's WooCommerce signs its webhooks with: at most one per store key."},
            bases=['Model'],
        ),
    ]
