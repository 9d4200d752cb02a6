"""Every SMS Revisit sends is first a row here."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from domain.customers.models import Customer
from domain.tenancy.models import Tenant


class OutboundMessage(Model):
    """One SMS, unique per origin (run + step, campaign + customer). States: queued → sent | failed."""

    id = fields.UUIDField(primary_key=True)
    tenant: fields.ForeignKeyRelation[Tenant] = fields.ForeignKeyField(
        "revisit.Tenant", related_name="outbound_messages", on_delete=fields.CASCADE
    )
    customer: fields.ForeignKeyNullableRelation[Customer] = fields.ForeignKeyField(
        "revisit.Customer", related_name="outbound_messages", null=True, on_delete=fields.SET_NULL
    )
    origin_key = fields.CharField(max_length=200)
    purpose = fields.CharField(max_length=16, description="marketing or transactional")
    phone = fields.CharField(max_length=20)
    body = fields.TextField()
    encoding = fields.CharField(max_length=8)
    parts = fields.IntField()
    status = fields.CharField(max_length=16, default="queued", db_default="queued")
    provider = fields.CharField(max_length=32, default="", db_default="")
    provider_message_id = fields.CharField(max_length=64, null=True)
    failure_reason = fields.TextField(null=True)
    attempts = fields.IntField(default=0, db_default=0)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    sent_at = fields.DatetimeField(null=True)
    sms_account_id = fields.UUIDField(
        null=True,
        description="The store's own provider account that sent it (kept after the account is cleared); "
        "null for the platform's line.",
    )
    outcome_unknown_at = fields.DatetimeField(
        null=True,
        description="When a send's answer never came (it may have gone out). The message stays queued and "
        "is resolved through the provider's look-up before anything is sent again.",
    )
    lookups = fields.IntField(default=0, db_default=0, description="Look-ups of an unknown outcome so far.")
    claimed_until = fields.DatetimeField(
        null=True,
        description="A delivery talks to the provider until then; left set, that delivery died mid-call.",
    )
    delivery_status = fields.CharField(
        max_length=16,
        null=True,
        description="delivered, failed or undeliverable, from the provider's report.",
    )
    delivery_status_at = fields.DatetimeField(null=True, description="When the provider says it happened.")
    delivery_checked_at = fields.DatetimeField(
        null=True, description="When the provider was last asked for this message's delivery report."
    )

    send_after = fields.DatetimeField(
        null=True, description="Not before this moment (quiet hours, a deferred cap); the slot caps count."
    )
    policy_reason = fields.CharField(
        max_length=32,
        null=True,
        description="Why the sending policy suppressed, skipped or deferred it (domain.messaging.policy).",
    )
    campaign_id = fields.UUIDField(null=True, description="The campaign it belongs to; sent by dispatch.")

    class Meta:
        table = "outbound_messages"
        unique_together = (("tenant", "origin_key"),)
        indexes = (
            ("tenant_id", "status", "created_at"),
            ("tenant_id", "customer_id"),
            ("tenant_id", "campaign_id", "status"),
        )


class SmsAccount(Model):
    """A store's own SMS provider account, used instead of the platform's line for its messages.

    ``api_key_sealed`` is the key sealed with AES-GCM (nonce first) under a key derived from the server's
    secret key, bound to the store's id: it is never read back by the API, only ``api_key_last4``.
    """

    id = fields.UUIDField(primary_key=True)
    tenant: fields.OneToOneRelation[Tenant] = fields.OneToOneField(
        "revisit.Tenant", related_name="sms_account", on_delete=fields.CASCADE
    )
    provider = fields.CharField(max_length=16, description="kavenegar or smsir")
    api_key_sealed = fields.BinaryField()
    api_key_last4 = fields.CharField(max_length=4)
    line = fields.CharField(
        max_length=20, null=True, description="The sender line; null: the account's default."
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "sms_accounts"


class InboundMessage(Model):
    """One SMS a customer sent to a store's line (or to the platform's line, for each store it concerns)."""

    id = fields.UUIDField(primary_key=True)
    tenant: fields.ForeignKeyRelation[Tenant] = fields.ForeignKeyField(
        "revisit.Tenant", related_name="inbound_messages", on_delete=fields.CASCADE
    )
    provider = fields.CharField(max_length=16)
    provider_message_id = fields.CharField(max_length=64)
    sms_account_id = fields.UUIDField(
        null=True, description="The store's own account; null: the platform's line."
    )
    phone = fields.CharField(max_length=20, description="The sender, E.164 when it could be read as a phone.")
    line = fields.CharField(max_length=20, description="The line it was sent to.")
    body = fields.TextField()
    received_at = fields.DatetimeField()
    source = fields.CharField(max_length=16, description="poll or callback")
    opt_out = fields.BooleanField(default=False, db_default=False, description="It was an opt-out keyword.")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "inbound_messages"
        unique_together = (("tenant", "provider", "provider_message_id"),)
        indexes = (("tenant_id", "received_at"), ("tenant_id", "phone"))


class SmsSuppression(Model):
    """A phone of one store that gets no marketing SMS: the customer texted «۱۱» / «لغو», or the owner
    added it. One row per (store, phone); lifting it keeps the row, with who lifted it and when."""

    id = fields.UUIDField(primary_key=True)
    tenant: fields.ForeignKeyRelation[Tenant] = fields.ForeignKeyField(
        "revisit.Tenant", related_name="sms_suppressions", on_delete=fields.CASCADE
    )
    phone = fields.CharField(max_length=20, description="E.164")
    source = fields.CharField(max_length=32, description="owner, or the channel an opt-out SMS came by.")
    keyword = fields.CharField(max_length=160, null=True, description="The opt-out text as received.")
    suppressed_at = fields.DatetimeField()
    added_by_user_id = fields.UUIDField(null=True, description="The user who added it by hand.")
    lifted_at = fields.DatetimeField(null=True, description="Set when the owner removed it.")
    lifted_by_user_id = fields.UUIDField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "sms_suppressions"
        unique_together = (("tenant", "phone"),)
        indexes = (("tenant_id", "suppressed_at"),)
