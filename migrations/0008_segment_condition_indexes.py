"""Indexes segment conditions and member pages read: order lines by category (a GIN index of the
category ids, for "bought something in category X") and a segment's open stays newest first (its
members page), and a customer's automation runs (their timeline)."""

from tortoise import migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("revisit", "0007_segments_and_intelligence")]

    initial = False

    operations = [
        ops.RunSQL(
            [
                "CREATE INDEX order_items_categories ON order_items USING gin (category_ids)",
                "CREATE INDEX segment_memberships_open_by_entry ON segment_memberships"
                " (tenant_id, segment_id, entered_at DESC, id DESC) WHERE left_at IS NULL",
                "CREATE INDEX automation_runs_by_customer ON automation_runs (tenant_id, customer_id, created_at)",
            ],
            reverse_sql=[
                "DROP INDEX order_items_categories",
                "DROP INDEX segment_memberships_open_by_entry",
                "DROP INDEX automation_runs_by_customer",
            ],
        ),
    ]
