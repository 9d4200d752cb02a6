"""The billing context's tables: the merchant wallet, its ledger and reservations, plans and tariffs."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from domain.tenancy.models import Tenant


class Wallet(Model):
    """One store's wallet: the running sums of its ledger, its plan, and whether it is on hold.

    ``balance`` and ``reserved`` are caches of :class:`WalletEntry` sums, rewritten under ``SELECT … FOR
    UPDATE`` on this row in the same transaction as every entry.
    """

    id = fields.UUIDField(primary_key=True)
    tenant: fields.OneToOneRelation[Tenant] = fields.OneToOneField(
        "revisit.Tenant", related_name="wallet", on_delete=fields.CASCADE
    )
    balance = fields.BigIntField(
        default=0, db_default=0, description="IRR the store has prepaid and not spent."
    )
    reserved = fields.BigIntField(
        default=0, db_default=0, description="IRR of the balance set aside for work under way (campaigns)."
    )
    plan = fields.CharField(
        max_length=16,
        default="pay_as_you_go",
        db_default="pay_as_you_go",
        description="pay_as_you_go or annual",
    )
    hold_reason = fields.CharField(
        max_length=32,
        null=True,
        description="Why the store cannot send now (insufficient_funds); null: not held.",
    )
    held_since = fields.DatetimeField(null=True)
    hold_needed = fields.BigIntField(null=True, description="IRR the refused charge needed.")
    hold_notified_at = fields.DatetimeField(null=True, description="When the owner was told of this hold.")
    low_balance_warned_at = fields.DatetimeField(
        null=True,
        description="When the owner was warned the balance fell below the threshold; cleared above it.",
    )
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "wallets"
        table_description = "One store's prepaid wallet: cached sums of its ledger, its plan and its hold."


class WalletEntry(Model):
    """One append-only line of a store's wallet ledger; never changed or removed.

    ``balance_delta`` and ``reserved_delta`` are what the line did to each sum, so both are derivable from the
    entries alone. ``amount`` is the line's size (always > 0).
    """

    id = fields.UUIDField(primary_key=True)
    tenant: fields.ForeignKeyRelation[Tenant] = fields.ForeignKeyField(
        "revisit.Tenant", related_name="wallet_entries", on_delete=fields.CASCADE
    )
    kind = fields.CharField(
        max_length=16, description="top_up, charge, reservation, release, refund, adjustment"
    )
    charge_kind = fields.CharField(max_length=16, null=True, description="sms, journey_run or subscription")
    amount = fields.BigIntField()
    balance_delta = fields.BigIntField()
    reserved_delta = fields.BigIntField(default=0, db_default=0)
    idempotency_key = fields.CharField(max_length=200)
    reservation_key = fields.CharField(
        max_length=200, null=True, description="The reservation a charge consumed or a release freed."
    )
    reference = fields.CharField(
        max_length=200, null=True, description="What paid or caused it, e.g. zarinpal:<id>."
    )
    unit_price = fields.BigIntField(null=True, description="The price a charge used (IRR per unit).")
    quantity = fields.IntField(null=True, description="Units charged (SMS parts, runs, periods).")
    note = fields.CharField(max_length=255, default="", db_default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "wallet_entries"
        table_description = "One line of a store's wallet ledger in IRR, with its idempotency key."
        unique_together = (("tenant", "idempotency_key"),)
        indexes = (("tenant_id", "created_at"), ("tenant_id", "kind", "created_at"))


class WalletReservation(Model):
    """Money set aside under a key (a campaign's estimated cost) and what is left of it."""

    id = fields.UUIDField(primary_key=True)
    tenant: fields.ForeignKeyRelation[Tenant] = fields.ForeignKeyField(
        "revisit.Tenant", related_name="wallet_reservations", on_delete=fields.CASCADE
    )
    key = fields.CharField(max_length=200)
    amount = fields.BigIntField()
    remaining = fields.BigIntField(description="What charges and releases have not consumed yet.")
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "wallet_reservations"
        table_description = "A reservation in a store's wallet; remaining is a cache of its ledger lines."
        unique_together = (("tenant", "key"),)


class PlanPeriod(Model):
    """One paid period of an annual plan: runs started inside it are covered by its fee."""

    id = fields.UUIDField(primary_key=True)
    tenant: fields.ForeignKeyRelation[Tenant] = fields.ForeignKeyField(
        "revisit.Tenant", related_name="plan_periods", on_delete=fields.CASCADE
    )
    plan = fields.CharField(max_length=16)
    starts_at = fields.DatetimeField()
    ends_at = fields.DatetimeField()
    fee = fields.BigIntField()
    charge_key = fields.CharField(max_length=200)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "plan_periods"
        table_description = "A paid period of a store's annual plan."
        unique_together = (("tenant", "starts_at"),)


class PlatformTariff(Model):
    """The platform's prices from ``effective_from`` on, until a later row takes over."""

    id = fields.UUIDField(primary_key=True)
    effective_from = fields.DatetimeField(unique=True)
    annual_fee = fields.BigIntField()
    journey_run_price = fields.BigIntField()
    sms_part_price = fields.BigIntField()
    provider_part_prices: dict[str, int] = fields.JSONField(
        default=dict, description="A part price per provider (kavenegar, smsir) instead of sms_part_price."
    )
    created_by = fields.UUIDField(null=True, description="The admin who set it; null: seeded from settings.")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "platform_tariffs"
        table_description = "The platform's tariff table: prices in IRR by the moment they take effect."


class TenantTariff(Model):
    """A store's own prices from ``effective_from`` on; a null price falls back to the platform's."""

    id = fields.UUIDField(primary_key=True)
    tenant: fields.ForeignKeyRelation[Tenant] = fields.ForeignKeyField(
        "revisit.Tenant", related_name="tariffs", on_delete=fields.CASCADE
    )
    effective_from = fields.DatetimeField()
    annual_fee = fields.BigIntField(null=True)
    journey_run_price = fields.BigIntField(null=True)
    sms_part_price = fields.BigIntField(null=True)
    provider_part_prices: dict[str, int] = fields.JSONField(default=dict)
    created_by = fields.UUIDField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "tenant_tariffs"
        table_description = "A store's tariff overrides by the moment they take effect."
        unique_together = (("tenant", "effective_from"),)
