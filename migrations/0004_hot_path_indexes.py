"""Indexes for what the hot statements filter and sort by: an order's lines, refunds, payments,
credit entries and runs by order; order lists by creation; and the line of pending events."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index, PartialIndex

class Migration(migrations.Migration):
    dependencies = [('revisit', '0003_waiting_events_store_country')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='AutomationRun',
            index=Index(fields=['tenant_id', 'order_id']),
        ),
        ops.AddIndex(
            model_name='CreditEntry',
            index=Index(fields=['tenant_id', 'order_id']),
        ),
        ops.AddIndex(
            model_name='IngestedEvent',
            index=PartialIndex(fields=['tenant_id', 'occurred_at', 'id'], name='ingested_events_pending_line', condition={'status': 'pending'}),
        ),
        ops.AddIndex(
            model_name='Order',
            index=Index(fields=['tenant_id', 'created_at', 'id']),
        ),
        ops.AddIndex(
            model_name='OrderItem',
            index=Index(fields=['tenant_id', 'order_id']),
        ),
        ops.AddIndex(
            model_name='Payment',
            index=Index(fields=['tenant_id', 'order_id']),
        ),
        ops.AddIndex(
            model_name='Refund',
            index=Index(fields=['tenant_id', 'order_id']),
        ),
    ]
