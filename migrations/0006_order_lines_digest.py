"""Orders remember a digest of their lines as last written, so an update repeating them rewrites nothing."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields


class Migration(migrations.Migration):
    dependencies = [("revisit", "0005_tenant_leads_every_key")]

    initial = False

    operations = [
        ops.AddField(
            model_name="Order",
            name="lines_digest",
            field=fields.CharField(
                default="",
                description="A digest of the lines as last written, so an event repeating them rewrites nothing.",
                db_default="",
                max_length=32,
            ),
        ),
    ]
