from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('revisit', '0002_webhook_secrets')]

    initial = False

    operations = [
        ops.AddField(
            model_name='IngestedEvent',
            name='waiting_for',
            field=fields.CharField(null=True, description='What a waiting event waits for, such as ``order:1042``.', max_length=160),
        ),
        ops.AddField(
            model_name='IngestedEvent',
            name='waiting_since',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddIndex(
            model_name='IngestedEvent',
            index=Index(fields=['tenant_id', 'waiting_for']),
        ),
        ops.AddField(
            model_name='Tenant',
            name='country',
            field=fields.CharField(default='IR', description='ISO 3166-1 alpha-2; the region of phone numbers written without a country code.', db_default='IR', max_length=2),
        ),
        # E-mail identity is case-insensitive from now on: what was stored keeps working.
        ops.RunSQL("UPDATE customers SET email = lower(email) WHERE email <> lower(email)"),
    ]
