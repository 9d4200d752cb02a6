"""Tenants (stores), the people who run them, and the keys stores connect with."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class Tenant(Model):
    """A store. Every tenant-owned row elsewhere points here."""

    id = fields.UUIDField(primary_key=True)
    name = fields.CharField(max_length=200)
    platform = fields.CharField(max_length=32, default="woocommerce", db_default="woocommerce")
    currency = fields.CharField(max_length=3, default="IRR", db_default="IRR")
    timezone = fields.CharField(max_length=64, default="Asia/Tehran", db_default="Asia/Tehran")
    locale = fields.CharField(max_length=16, default="fa", db_default="fa")
    calendar = fields.CharField(max_length=16, default="jalali", db_default="jalali")
    country = fields.CharField(
        max_length=2,
        default="IR",
        db_default="IR",
        description="ISO 3166-1 alpha-2; the region of phone numbers written without a country code.",
    )
    sender_line = fields.CharField(max_length=32, null=True)
    quiet_hours_start = fields.SmallIntField(
        default=22 * 60,
        db_default=22 * 60,
        description="Minutes after local midnight when marketing SMS stop (22:00); equal to the end: none.",
    )
    quiet_hours_end = fields.SmallIntField(
        default=8 * 60,
        db_default=8 * 60,
        description="Minutes after local midnight when they resume (08:00).",
    )
    marketing_daily_cap = fields.SmallIntField(
        null=True, default=1, db_default=1, description="Most marketing SMS a customer gets a local day."
    )
    marketing_weekly_cap = fields.SmallIntField(
        null=True, default=3, db_default=3, description="Most in any 7 local days; null: no cap."
    )
    consent_mode = fields.CharField(
        max_length=8,
        null=True,
        description=(
            "opt_in or opt_out: may a customer who never said get marketing; null: the country's norm."
        ),
    )
    owner_phone = fields.CharField(
        max_length=20, null=True, description="E.164; where billing notices (hold, low balance) are sent."
    )
    low_balance_threshold = fields.BigIntField(
        null=True, description="IRR; the owner is warned once when the available balance falls below it."
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "tenants"


class User(Model):
    """A person who logs in: a store owner, a marketer, a platform admin."""

    id = fields.UUIDField(primary_key=True)
    email = fields.CharField(max_length=254, unique=True)
    password_hash = fields.CharField(max_length=255)
    full_name = fields.CharField(max_length=200, default="", db_default="")
    is_active = fields.BooleanField(default=True, db_default=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    last_login_at = fields.DatetimeField(null=True)

    class Meta:
        table = "users"


class Membership(Model):
    """A role a user holds: inside one tenant, or platform-wide when ``tenant`` is null."""

    id = fields.UUIDField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "revisit.User", related_name="memberships", on_delete=fields.CASCADE
    )
    tenant: fields.ForeignKeyNullableRelation[Tenant] = fields.ForeignKeyField(
        "revisit.Tenant", related_name="memberships", null=True, on_delete=fields.CASCADE
    )
    role = fields.CharField(max_length=64)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "memberships"
        unique_together = (("user", "tenant", "role"),)


class StoreKey(Model):
    """An access key a store pastes into its plugin. Only a hash of the secret is kept."""

    id = fields.UUIDField(primary_key=True)
    tenant: fields.ForeignKeyRelation[Tenant] = fields.ForeignKeyField(
        "revisit.Tenant", related_name="store_keys", on_delete=fields.CASCADE
    )
    name = fields.CharField(max_length=100)
    public_id = fields.CharField(max_length=32, unique=True)
    secret_hash = fields.CharField(max_length=128)
    scopes: list[str] = fields.JSONField(default=list)
    created_at = fields.DatetimeField(auto_now_add=True)
    last_used_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "store_keys"
        indexes = (("tenant_id", "created_at"),)


class WebhookSecret(Model):
    """The secret a store's WooCommerce signs its webhooks with: at most one per store key.

    Revisit recomputes each delivery's HMAC, so unlike a key's secret this one cannot be kept as a hash.
    ``ciphertext`` is the secret sealed with AES-GCM (nonce first) under a key derived from the server's
    secret key, bound to the store key's id.
    """

    id = fields.UUIDField(primary_key=True)
    tenant: fields.ForeignKeyRelation[Tenant] = fields.ForeignKeyField(
        "revisit.Tenant", related_name="webhook_secrets", on_delete=fields.CASCADE
    )
    store_key: fields.OneToOneRelation[StoreKey] = fields.OneToOneField(
        "revisit.StoreKey", related_name="webhook_secret", on_delete=fields.CASCADE
    )
    ciphertext = fields.BinaryField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "webhook_secrets"


class AccessRule(Model):
    """A permission rule added at run time (custom roles), in Casbin's ``ptype, v0…v5`` shape."""

    id = fields.IntField(primary_key=True)
    ptype = fields.CharField(max_length=8)
    v0 = fields.CharField(max_length=255, default="", db_default="")
    v1 = fields.CharField(max_length=255, default="", db_default="")
    v2 = fields.CharField(max_length=255, default="", db_default="")
    v3 = fields.CharField(max_length=255, default="", db_default="")
    v4 = fields.CharField(max_length=255, default="", db_default="")
    v5 = fields.CharField(max_length=255, default="", db_default="")

    class Meta:
        table = "access_rules"
