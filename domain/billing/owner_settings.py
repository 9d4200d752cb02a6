"""The store owner's billing settings: the phone billing notices go to, and the low-balance threshold."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final
from uuid import UUID

from domain.audit import service as audit
from domain.billing import holds
from domain.billing.wallet import MAX_AMOUNT
from domain.customers.phones import normalise_phone
from domain.errors import DomainError, NotFound
from domain.tenancy.models import Tenant

UNCHANGED: Final = object()
"""Leave the setting as it is."""


async def set_billing_settings(
    *,
    tenant_id: UUID,
    owner_phone: object = UNCHANGED,
    low_balance_threshold: object = UNCHANGED,
    actor_user_id: UUID | None = None,
    now: datetime | None = None,
) -> Tenant:
    """Change what is given (None clears it), audited, in the caller's transaction.

    ``owner_phone`` is read in the store's country when it has no country code and kept in E.164
    (``INVALID_PHONE`` otherwise); ``low_balance_threshold`` is 0 to 10^15 IRR (``INVALID_AMOUNT``). A new
    threshold is checked at once: a balance already below it warns the owner.
    """
    tenant = await Tenant.select_for_update().get_or_none(id=tenant_id)
    if tenant is None:
        raise NotFound("Store", field="tenantId")
    changed: dict[str, Any] = {}
    if owner_phone is not UNCHANGED:
        changed["owner_phone"] = _phone(owner_phone, tenant.country)
    if low_balance_threshold is not UNCHANGED:
        changed["low_balance_threshold"] = _threshold(low_balance_threshold)
    if not changed:
        return tenant
    tenant.update_from_dict(changed)
    await tenant.save(update_fields=[*changed, "updated_at"])
    moment = now or datetime.now(UTC)
    await audit.record(
        tenant_id=tenant_id,
        actor_user_id=actor_user_id,
        action="billing.settings_changed",
        subject_type="tenant",
        subject_id=tenant_id,
        detail={
            name: value if name != "owner_phone" or value is None else f"…{value[-4:]}"
            for name, value in changed.items()
        },
        at=moment,
    )
    if "low_balance_threshold" in changed:
        await holds.check_low_balance([tenant_id], now=moment)
    return tenant


def _phone(raw: object, country: str) -> str | None:
    if raw is None:
        return None
    if not isinstance(raw, str) or len(raw) > 40:
        raise DomainError("INVALID_PHONE", "The owner's phone is a mobile number.", field="ownerPhone")
    try:
        phone = normalise_phone(raw, country)
    except DomainError as exc:
        raise DomainError("INVALID_PHONE", exc.message, field="ownerPhone") from exc
    if phone is None:
        raise DomainError("INVALID_PHONE", "Give a phone number, or null to remove it.", field="ownerPhone")
    return phone


def _threshold(raw: object) -> int | None:
    if raw is None:
        return None
    if not isinstance(raw, int) or isinstance(raw, bool) or not 0 <= raw <= MAX_AMOUNT:
        raise DomainError(
            "INVALID_AMOUNT",
            f"The threshold is a whole number of IRR from 0 to {MAX_AMOUNT}, or null.",
            field="lowBalanceThreshold",
        )
    return raw
