"""Indexes the daily date pass reads: customers by birthday (month and day in the store's calendar) and
by first order (anniversaries), each only over the customers who have one."""

from tortoise import migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("revisit", "0013_sms_provider_accounts")]

    initial = False

    operations = [
        ops.RunSQL(
            [
                "CREATE INDEX customers_birthday ON customers (tenant_id, birth_month, birth_day)"
                " WHERE birth_month IS NOT NULL",
                "CREATE INDEX customers_first_order ON customers (tenant_id, first_order_at)"
                " WHERE first_order_at IS NOT NULL",
            ],
            reverse_sql=["DROP INDEX customers_birthday", "DROP INDEX customers_first_order"],
        ),
    ]
