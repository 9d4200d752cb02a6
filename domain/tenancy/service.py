"""Tenants, users, memberships and store keys. Callers own the transaction."""

from __future__ import annotations

import asyncio
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from uuid import UUID
from zoneinfo import available_timezones

from tortoise import Tortoise

from domain.errors import DomainError, NotFound
from domain.tenancy import passwords, security
from domain.tenancy.countries import store_country
from domain.tenancy.login_limits import LoginGuard
from domain.tenancy.models import Membership, StoreKey, Tenant, User

SUPPORTED_CURRENCIES = {"IRR", "IRT", "USD", "EUR", "GBP", "AED", "TRY"}
TENANT_ROLES = {"owner", "marketer", "analyst"}
PLATFORM_ROLES = {"platform_admin", "platform_finance"}
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class TenantIn:
    name: str
    currency: str = "IRR"
    timezone: str = "Asia/Tehran"
    locale: str = "fa"
    platform: str = "woocommerce"
    country: str | None = None
    """ISO 3166-1 alpha-2; None takes the country of ``timezone`` (see ``countries.store_country``)."""


def validate_tenant(tenant_in: TenantIn) -> None:
    if not tenant_in.name.strip():
        raise DomainError("INVALID", "A store needs a name.", field="storeName")
    if tenant_in.currency not in SUPPORTED_CURRENCIES:
        raise DomainError(
            "INVALID", f"Currency must be one of {', '.join(sorted(SUPPORTED_CURRENCIES))}.", field="currency"
        )
    if tenant_in.timezone not in available_timezones():
        raise DomainError(
            "INVALID",
            "Time zone must be an IANA name, such as Asia/Tehran or Europe/London.",
            field="timezone",
        )
    if tenant_in.locale not in {"fa", "en", "ar"}:
        raise DomainError("INVALID", "Locale must be fa, en or ar.", field="locale")
    store_country(country=tenant_in.country, timezone=tenant_in.timezone, currency=tenant_in.currency)


def normalise_email(email: str) -> str:
    cleaned = email.strip().lower()
    if not EMAIL.match(cleaned):
        raise DomainError("INVALID", "That is not an e-mail address.", field="email")
    return cleaned


async def create_user(
    *, email: str, password: str, full_name: str = "", min_score: int = passwords.DEFAULT_MIN_SCORE
) -> User:
    """A new user. The password must pass ``passwords.ensure_strong`` (WEAK_PASSWORD otherwise)."""
    cleaned = normalise_email(email)
    passwords.ensure_strong(password, user_inputs=[cleaned, full_name], min_score=min_score)
    if await User.filter(email=cleaned).exists():
        raise DomainError("EMAIL_TAKEN", "An account with this e-mail already exists.", field="email")
    return await User.create(
        email=cleaned, password_hash=security.hash_password(password), full_name=full_name
    )


async def create_tenant(*, tenant_in: TenantIn) -> Tenant:
    validate_tenant(tenant_in)
    calendar = "jalali" if tenant_in.locale == "fa" else "gregorian"
    return await Tenant.create(
        name=tenant_in.name.strip(),
        currency=tenant_in.currency,
        timezone=tenant_in.timezone,
        locale=tenant_in.locale,
        calendar=calendar,
        platform=tenant_in.platform,
        country=store_country(
            country=tenant_in.country, timezone=tenant_in.timezone, currency=tenant_in.currency
        ),
    )


async def register_owner(
    *,
    email: str,
    password: str,
    full_name: str,
    tenant_in: TenantIn,
    min_score: int = passwords.DEFAULT_MIN_SCORE,
) -> tuple[User, Tenant]:
    """A new user and their store, with the user as its owner."""
    validate_tenant(tenant_in)
    user = await create_user(email=email, password=password, full_name=full_name, min_score=min_score)
    tenant = await create_tenant(tenant_in=tenant_in)
    await Membership.create(user=user, tenant=tenant, role="owner")
    return user, tenant


async def grant_role(*, user_id: UUID, tenant_id: UUID | None, role: str) -> Membership:
    """Give a user a role in a tenant (or platform-wide for platform roles). Granting twice is a no-op."""
    allowed = PLATFORM_ROLES if tenant_id is None else TENANT_ROLES
    if role not in allowed:
        raise DomainError("INVALID_ROLE", f"{role} is not a role here.", field="role")
    membership, _ = await Membership.get_or_create(user_id=user_id, tenant_id=tenant_id, role=role)
    return membership


@cache
def _stand_in_hash() -> str:
    """A hash of a random secret, verified against when the e-mail is unknown so both cost the same."""
    return security.hash_password(secrets.token_urlsafe(32))


async def authenticate(
    *, email: str, password: str, guard: LoginGuard | None = None, address: str | None = None
) -> User:
    """The user with these credentials. The same error whatever was wrong, so accounts can't be probed.

    An unknown e-mail costs the same argon2 verification as a known one. With a ``guard``, the attempt
    is counted first, and an account or address out of attempts is refused (``RateLimited``) before the
    password is checked.
    """
    if guard is not None:
        await guard.take_attempt(email=email, address=address)
    user = await User.get_or_none(email=email.strip().lower())
    stored_hash = user.password_hash if user is not None else _stand_in_hash()
    matches = await asyncio.to_thread(security.verify_password, stored_hash, password)
    if user is None or not user.is_active or not matches:
        raise DomainError("INVALID_CREDENTIALS", "Wrong e-mail or password.")
    if guard is not None:
        await guard.record_success(email=email)
    user.last_login_at = datetime.now(UTC)
    await user.save(update_fields=["last_login_at"])
    return user


async def roles_of_user(*, user_id: UUID) -> dict[str, frozenset[str]]:
    """Every role the user holds, keyed by tenant id (``"*"`` for platform-wide)."""
    roles: dict[str, set[str]] = {}
    async for membership in Membership.filter(user_id=user_id, user__is_active=True):
        key = str(membership.tenant_id) if membership.tenant_id else "*"  # type: ignore[attr-defined]
        roles.setdefault(key, set()).add(membership.role)
    return {key: frozenset(value) for key, value in roles.items()}


async def get_tenant(*, tenant_id: UUID, field: str | None = None) -> Tenant:
    """The store, or ``NOT_FOUND`` (naming ``field``, the input that chose it, when given)."""
    tenant = await Tenant.get_or_none(id=tenant_id)
    if tenant is None:
        raise NotFound("Store", field=field)
    return tenant


# --- store keys -----------------------------------------------------------------------------------


async def create_store_key(*, tenant_id: UUID, name: str) -> tuple[StoreKey, str]:
    """A new key and its one-time token (the only time the secret is ever seen)."""
    if not name.strip():
        raise DomainError("INVALID", "A key needs a name.", field="name")
    made = security.new_store_key_secret()
    key = await StoreKey.create(
        tenant_id=tenant_id,
        name=name.strip(),
        public_id=made.public_id,
        secret_hash=made.secret_hash,
        scopes=["events:write", "credit:read", "coupons:read"],
    )
    return key, made.token


async def get_store_key(*, tenant_id: UUID, key_id: UUID) -> StoreKey:
    key = await StoreKey.get_or_none(id=key_id, tenant_id=tenant_id)
    if key is None:
        raise NotFound("Store key")
    return key


async def rotate_store_key(*, tenant_id: UUID, key_id: UUID) -> tuple[StoreKey, str]:
    """Revoke a key and issue its replacement under the same name."""
    old = await get_store_key(tenant_id=tenant_id, key_id=key_id)
    if old.revoked_at is not None:
        raise DomainError("REVOKED", "This key is already revoked.", field="id")
    old.revoked_at = datetime.now(UTC)
    await old.save(update_fields=["revoked_at"])
    return await create_store_key(tenant_id=tenant_id, name=old.name)


async def revoke_store_key(*, tenant_id: UUID, key_id: UUID) -> StoreKey:
    """Revoke a key. Revoking a revoked key changes nothing."""
    key = await get_store_key(tenant_id=tenant_id, key_id=key_id)
    if key.revoked_at is None:
        key.revoked_at = datetime.now(UTC)
        await key.save(update_fields=["revoked_at"])
    return key


@dataclass(frozen=True)
class AuthenticatedKey:
    """A live store key a request presented: which key, of which store."""

    id: UUID
    tenant_id: UUID


_LIVE_KEY = """
SELECT id, tenant_id, secret_hash, last_used_at FROM store_keys
WHERE public_id = $1 AND revoked_at IS NULL
"""
_USED = "UPDATE store_keys SET last_used_at = $3 WHERE tenant_id = $1 AND id = $2"
KEY_USE_PRECISION = timedelta(seconds=60)
"""``last_used_at`` is written at most this often per key: checkout look-ups come in bursts."""


async def authenticate_store_key(*, token: str) -> AuthenticatedKey | None:
    """The live key this token belongs to, or None. Records when the key was last used.

    One statement on every request (this is the checkout's hot path); the write happens only when the
    recorded use is older than ``KEY_USE_PRECISION``.
    """
    parts = security.split_store_key(token)
    if parts is None:
        return None
    public_id, secret = parts
    connection = Tortoise.get_connection("default")
    rows = await connection.execute_query_dict(_LIVE_KEY, [public_id])
    if not rows or not security.secret_matches(secret, rows[0]["secret_hash"]):
        return None
    key, now = rows[0], datetime.now(UTC)
    if key["last_used_at"] is None or now - key["last_used_at"] > KEY_USE_PRECISION:
        await connection.execute_query(_USED, [key["tenant_id"], key["id"], now])
    return AuthenticatedKey(id=key["id"], tenant_id=key["tenant_id"])
