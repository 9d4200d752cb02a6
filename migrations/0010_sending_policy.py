"""The sending policy: quiet hours, frequency caps and the consent mode of each store, when an SMS may
go and why it did not, the stores' suppression lists, and consent nobody ever gave.

sms_suppressions leads every key with tenant_id, as 0005 made the other store tables.

Customers whose consent was never recorded (no ``consent_changed_at``: nothing ever changed the
default yes) become ``unknown``: they never said, and the store's consent mode now decides for them.
A *no* always had a time, so it stays the store's word. A *yes* the store sent with a new customer
was recorded just like the default and cannot be told from it; in the opt-out stores that exist today
both mean the same.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields
from tortoise.indexes import Index

_BY_TENANT = [
    "ALTER TABLE sms_suppressions DROP CONSTRAINT sms_suppressions_pkey",
    "ALTER TABLE sms_suppressions ADD CONSTRAINT sms_suppressions_pkey PRIMARY KEY (tenant_id, id)",
    "CREATE INDEX sms_suppressions_id_idx ON sms_suppressions (id)",
]
_BY_ID = [
    "DROP INDEX sms_suppressions_id_idx",
    "ALTER TABLE sms_suppressions DROP CONSTRAINT sms_suppressions_pkey",
    "ALTER TABLE sms_suppressions ADD CONSTRAINT sms_suppressions_pkey PRIMARY KEY (id)",
]
_NEVER_SAID = [
    "UPDATE customers SET consent_source = 'unknown'"
    " WHERE consent_source = 'store' AND consent_changed_at IS NULL AND marketing_consent",
]
_SAID_BY_STORE = ["UPDATE customers SET consent_source = 'store' WHERE consent_source = 'unknown'"]


class Migration(migrations.Migration):
    dependencies = [("revisit", "0009_coupons")]

    initial = False

    operations = [
        ops.CreateModel(
            name='SmsSuppression',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('tenant', fields.ForeignKeyField('revisit.Tenant', source_field='tenant_id', db_constraint=True, to_field='id', related_name='sms_suppressions', on_delete=OnDelete.CASCADE)),
                ('phone', fields.CharField(description='E.164', max_length=20)),
                ('source', fields.CharField(description='owner, or the channel an opt-out SMS came by.', max_length=32)),
                ('keyword', fields.CharField(null=True, description='The opt-out text as received.', max_length=160)),
                ('suppressed_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('added_by_user_id', fields.UUIDField(null=True, description='The user who added it by hand.')),
                ('lifted_at', fields.DatetimeField(null=True, description='Set when the owner removed it.', auto_now=False, auto_now_add=False)),
                ('lifted_by_user_id', fields.UUIDField(null=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'sms_suppressions', 'app': 'revisit', 'unique_together': (('tenant', 'phone'),), 'indexes': [Index(fields=['tenant_id', 'suppressed_at'])], 'pk_attr': 'id', 'table_description': 'A phone of one store that gets no marketing SMS: the customer texted «۱۱» / «لغو», or the owner'},
            bases=['Model'],
        ),
        ops.AlterField(
            model_name='Customer',
            name='consent_source',
            field=fields.CharField(default='unknown', description="unknown (never said: the store's consent mode decides), store or customer.", db_default='unknown', max_length=32),
        ),
        ops.AlterField(
            model_name='Customer',
            name='marketing_consent',
            field=fields.BooleanField(default=True, description='With consent_source unknown: no objection recorded.', db_default=True),
        ),
        ops.AddField(
            model_name='OutboundMessage',
            name='policy_reason',
            field=fields.CharField(null=True, description='Why the sending policy suppressed, skipped or deferred it (domain.messaging.policy).', max_length=32),
        ),
        ops.AddField(
            model_name='OutboundMessage',
            name='send_after',
            field=fields.DatetimeField(null=True, description='Not before this moment (quiet hours, a deferred cap); the slot caps count.', auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Tenant',
            name='consent_mode',
            field=fields.CharField(null=True, description="opt_in or opt_out: may a customer who never said get marketing; null: the country's norm.", max_length=8),
        ),
        ops.AddField(
            model_name='Tenant',
            name='marketing_daily_cap',
            field=fields.SmallIntField(null=True, default=1, description='Most marketing SMS a customer gets a local day.', db_default=1),
        ),
        ops.AddField(
            model_name='Tenant',
            name='marketing_weekly_cap',
            field=fields.SmallIntField(null=True, default=3, description='Most in any 7 local days; null: no cap.', db_default=3),
        ),
        ops.AddField(
            model_name='Tenant',
            name='quiet_hours_end',
            field=fields.SmallIntField(default=480, description='Minutes after local midnight when they resume (08:00).', db_default=480),
        ),
        ops.AddField(
            model_name='Tenant',
            name='quiet_hours_start',
            field=fields.SmallIntField(default=1320, description='Minutes after local midnight when marketing SMS stop (22:00); equal to the end: none.', db_default=1320),
        ),
        ops.RunSQL(_BY_TENANT, reverse_sql=_BY_ID),
        ops.RunSQL(_NEVER_SAID, reverse_sql=_SAID_BY_STORE),
    ]
