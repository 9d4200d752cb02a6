"""SMS providers: a store's own provider account, delivery reports, inbound messages and unknown outcomes.

sms_accounts and inbound_messages lead every key with tenant_id, as 0005 made the other store tables. Three
partial indexes serve the provider side of outbound messages: the sent messages still waiting for their
delivery report (the poller's batches), a message found by the provider's id (a delivery callback), and the
marketing a phone got on the shared line (which stores a reply there concerns).
"""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields
from tortoise.indexes import Index

STORE_TABLES = ("sms_accounts", "inbound_messages")


def _by_tenant() -> list[str]:
    statements: list[str] = []
    for table in STORE_TABLES:
        statements += [
            f"ALTER TABLE {table} DROP CONSTRAINT {table}_pkey",
            f"ALTER TABLE {table} ADD CONSTRAINT {table}_pkey PRIMARY KEY (tenant_id, id)",
            f"CREATE INDEX {table}_id_idx ON {table} (id)",
        ]
    return [
        *statements,
        "CREATE INDEX outbound_messages_awaiting_report ON outbound_messages (tenant_id, sent_at)"
        " WHERE status = 'sent' AND delivery_status IS NULL",
        "CREATE INDEX outbound_messages_by_provider_id ON outbound_messages (provider, provider_message_id)"
        " WHERE provider_message_id IS NOT NULL",
        "CREATE INDEX outbound_messages_shared_line_marketing ON outbound_messages (phone, sent_at)"
        " WHERE purpose = 'marketing' AND status = 'sent' AND sms_account_id IS NULL",
    ]


def _by_id() -> list[str]:
    statements = [
        "DROP INDEX outbound_messages_shared_line_marketing",
        "DROP INDEX outbound_messages_by_provider_id",
        "DROP INDEX outbound_messages_awaiting_report",
    ]
    for table in STORE_TABLES:
        statements += [
            f"DROP INDEX {table}_id_idx",
            f"ALTER TABLE {table} DROP CONSTRAINT {table}_pkey",
            f"ALTER TABLE {table} ADD CONSTRAINT {table}_pkey PRIMARY KEY (id)",
        ]
    return statements


class Migration(migrations.Migration):
    dependencies = [("revisit", "0012_credit_and_audit")]

    initial = False

    operations = [
        ops.CreateModel(
            name='InboundMessage',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('tenant', fields.ForeignKeyField('revisit.Tenant', source_field='tenant_id', db_constraint=True, to_field='id', related_name='inbound_messages', on_delete=OnDelete.CASCADE)),
                ('provider', fields.CharField(max_length=16)),
                ('provider_message_id', fields.CharField(max_length=64)),
                ('sms_account_id', fields.UUIDField(null=True, description="The store's own account; null: the platform's line.")),
                ('phone', fields.CharField(description='The sender, E.164 when it could be read as a phone.', max_length=20)),
                ('line', fields.CharField(description='The line it was sent to.', max_length=20)),
                ('body', fields.TextField(unique=False)),
                ('received_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('source', fields.CharField(description='poll or callback', max_length=16)),
                ('opt_out', fields.BooleanField(default=False, description='It was an opt-out keyword.', db_default=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'inbound_messages', 'app': 'revisit', 'unique_together': (('tenant', 'provider', 'provider_message_id'),), 'indexes': [Index(fields=['tenant_id', 'received_at']), Index(fields=['tenant_id', 'phone'])], 'pk_attr': 'id', 'table_description': "One SMS a customer sent to a store's line (or to the platform's line, for each store it concerns)."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SmsAccount',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('tenant', fields.OneToOneField('revisit.Tenant', source_field='tenant_id', db_constraint=True, to_field='id', related_name='sms_account', on_delete=OnDelete.CASCADE)),
                ('provider', fields.CharField(description='kavenegar or smsir', max_length=16)),
                ('api_key_sealed', fields.BinaryField()),
                ('api_key_last4', fields.CharField(max_length=4)),
                ('line', fields.CharField(null=True, description="The sender line; null: the account's default.", max_length=20)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'sms_accounts', 'app': 'revisit', 'pk_attr': 'id', 'table_description': "A store's own SMS provider account, used instead of the platform's line for its messages."},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='OutboundMessage',
            name='claimed_until',
            field=fields.DatetimeField(null=True, description='A delivery talks to the provider until then; left set, that delivery died mid-call.', auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='OutboundMessage',
            name='delivery_checked_at',
            field=fields.DatetimeField(null=True, description="When the provider was last asked for this message's delivery report.", auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='OutboundMessage',
            name='delivery_status',
            field=fields.CharField(null=True, description="delivered, failed or undeliverable, from the provider's report.", max_length=16),
        ),
        ops.AddField(
            model_name='OutboundMessage',
            name='delivery_status_at',
            field=fields.DatetimeField(null=True, description='When the provider says it happened.', auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='OutboundMessage',
            name='lookups',
            field=fields.IntField(default=0, description='Look-ups of an unknown outcome so far.', db_default=0),
        ),
        ops.AddField(
            model_name='OutboundMessage',
            name='outcome_unknown_at',
            field=fields.DatetimeField(null=True, description="When a send's answer never came (it may have gone out). The message stays queued and is resolved through the provider's look-up before anything is sent again.", auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='OutboundMessage',
            name='sms_account_id',
            field=fields.UUIDField(null=True, description="The store's own provider account that sent it (kept after the account is cleared); null for the platform's line."),
        ),
        ops.RunSQL(_by_tenant(), reverse_sql=_by_id()),
    ]
