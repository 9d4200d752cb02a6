"""A store's own SMS provider account, and which provider sends each store's messages.

A store sends through the platform's line (the provider the deployment is configured with) unless it has
set its own :class:`~domain.messaging.models.SmsAccount`: Kavenegar or sms.ir, its API key and optionally
its line. The key is needed in the clear to call the provider, so it is kept sealed (AES-GCM) under a key
derived from the server's secret key and bound to the store's id, as webhook secrets are; the API shows
only its last four characters. The encryption key is passed in by the caller: the domain reads no settings.

:class:`ProviderDirectory` answers, per message, which provider and line to use. It is built once per worker
with the platform's provider and a factory for store accounts' providers, which it keeps (one HTTP pool per
account) until the account changes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Literal, get_args
from uuid import UUID, uuid4

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from tortoise import Tortoise

from domain.errors import DomainError
from domain.messaging.models import SmsAccount
from domain.messaging.providers import SmsProvider

logger = logging.getLogger("revisit.sms")

AccountProvider = Literal["kavenegar", "smsir"]
ACCOUNT_PROVIDERS: Final = frozenset(get_args(AccountProvider))
ENCRYPTION_KEY_INFO: Final = b"revisit sms provider accounts"
NONCE_BYTES: Final = 12
MAX_API_KEY_LENGTH: Final = 200

_API_KEY = re.compile(rf"[A-Za-z0-9._~+/=-]{{8,{MAX_API_KEY_LENGTH}}}")
"""What both providers' keys look like (letters, digits, a little punctuation), at least 8 characters."""
_LINE = re.compile(r"\+?[0-9]{3,19}")
"""A sender line: digits (Kavenegar 1000…, 2000…, 3000…; sms.ir 3000…), an optional leading +."""


def encryption_key(server_secret: str) -> bytes:
    """The AES-256 key that seals account API keys, derived (HKDF-SHA256) from the server's secret key."""
    return HKDF(algorithm=SHA256(), length=32, salt=None, info=ENCRYPTION_KEY_INFO).derive(
        server_secret.encode()
    )


def seal(api_key: str, *, key: bytes, tenant_id: UUID) -> bytes:
    """``api_key`` encrypted under ``key`` (a fresh nonce first), bound to the store's id."""
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, api_key.encode(), tenant_id.bytes)


def unseal(sealed: bytes, *, key: bytes, tenant_id: UUID) -> str | None:
    """The API key sealed for this store, or None when it does not open (another store, another key)."""
    nonce, ciphertext = sealed[:NONCE_BYTES], sealed[NONCE_BYTES:]
    try:
        return AESGCM(key).decrypt(nonce, ciphertext, tenant_id.bytes).decode()
    except (InvalidTag, ValueError):
        return None


def callback_key(*, secret: str, scope: str) -> str:
    """The key in a provider callback URL for ``scope`` (``platform`` or a store account's id): 32
    URL-safe characters of HMAC-SHA256 under the deployment's callback secret."""
    digest = hmac.new(secret.encode(), f"sms-callback:{scope}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")[:32]


def callback_key_matches(*, secret: str, scope: str, key: str) -> bool:
    """Whether ``key`` is the callback key of ``scope``, in constant time."""
    return hmac.compare_digest(callback_key(secret=secret, scope=scope).encode(), key.encode()[:64])


def _checked(provider: str, api_key: str, line: str | None) -> tuple[AccountProvider, str, str | None]:
    if provider not in ACCOUNT_PROVIDERS:
        raise DomainError("INVALID_PROVIDER", "The provider must be kavenegar or smsir.", field="provider")
    key = api_key.strip()
    if _API_KEY.fullmatch(key) is None:
        raise DomainError(
            "INVALID_API_KEY",
            f"The API key must be 8 to {MAX_API_KEY_LENGTH} letters, digits or . _ ~ + / = -.",
            field="apiKey",
        )
    number = (line or "").strip() or None
    if number is not None and _LINE.fullmatch(number) is None:
        raise DomainError("INVALID_LINE", "The line must be 3 to 19 digits.", field="line")
    return provider, key, number  # type: ignore[return-value]


UPSERT: Final = """
INSERT INTO sms_accounts
    (id, tenant_id, provider, api_key_sealed, api_key_last4, line, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, now(), now())
ON CONFLICT (tenant_id) DO UPDATE
SET provider = excluded.provider, api_key_sealed = excluded.api_key_sealed,
    api_key_last4 = excluded.api_key_last4, line = excluded.line, updated_at = now()
RETURNING id
"""


async def set_account(
    *, tenant_id: UUID, provider: str, api_key: str, line: str | None, encryption_key: bytes
) -> SmsAccount:
    """Make ``provider`` with this key (and line) the store's own account, replacing any earlier one.

    One statement (an upsert on the store), so the same call twice, or two at once, leave one account.
    Raises ``INVALID_PROVIDER``, ``INVALID_API_KEY`` and ``INVALID_LINE``.
    """
    provider, key, number = _checked(provider, api_key, line)
    sealed = seal(key, key=encryption_key, tenant_id=tenant_id)
    connection = Tortoise.get_connection("default")
    rows = await connection.execute_query_dict(
        UPSERT, [uuid4(), tenant_id, provider, sealed, key[-4:], number]
    )
    return await SmsAccount.get(tenant_id=tenant_id, id=rows[0]["id"])


async def clear_account(*, tenant_id: UUID) -> bool:
    """Go back to the platform's line; whether there was an account to clear."""
    return bool(await SmsAccount.filter(tenant_id=tenant_id).delete())


async def get_account(*, tenant_id: UUID) -> SmsAccount | None:
    """The store's own account, if it has one."""
    return await SmsAccount.get_or_none(tenant_id=tenant_id)


@dataclass(frozen=True)
class Route:
    """How one store's messages go out: ``provider``, the sender line (None: the account's default), and
    the store account it belongs to (None: the platform's line)."""

    provider: SmsProvider
    sender: str | None
    account_id: UUID | None


ProviderFactory = Callable[[str, str], SmsProvider]
"""Makes the provider named (kavenegar, smsir) for one API key."""


class AccountUnusable(DomainError):
    """A store's account exists but cannot be used (its key does not open): its messages wait."""

    def __init__(self, message: str) -> None:
        super().__init__("ACCOUNT_UNUSABLE", message)


class ProviderDirectory:
    """Which provider sends a store's messages: its own account's, else the platform's."""

    def __init__(
        self,
        *,
        platform: SmsProvider,
        platform_sender: str | None,
        factory: ProviderFactory,
        encryption_key: bytes,
    ) -> None:
        self.platform = Route(platform, platform_sender, None)
        self._factory = factory
        self._key = encryption_key
        self._made: dict[UUID, tuple[datetime, SmsProvider]] = {}
        self._retired: list[SmsProvider] = []

    async def route(self, tenant_id: UUID, *, fallback_sender: str | None = None) -> Route:
        """The route of the store's messages now. ``fallback_sender`` is the store's own line on the
        platform's account (``Tenant.sender_line``), used when set."""
        account = await SmsAccount.get_or_none(tenant_id=tenant_id)
        if account is None:
            sender = fallback_sender or self.platform.sender
            return Route(self.platform.provider, sender, None)
        route = Route(self.provider_of(account), account.line, account.id)
        await self._close_retired()
        return route

    def provider_of(self, account: SmsAccount) -> SmsProvider:
        """The (kept) provider of one store account; raises :class:`AccountUnusable` if its key is sealed
        under another server secret key."""
        made = self._made.get(account.id)
        if made is not None and made[0] == account.updated_at:
            return made[1]
        api_key = unseal(account.api_key_sealed, key=self._key, tenant_id=account.tenant_id)  # type: ignore[attr-defined]
        if api_key is None:
            logger.warning("SMS account %s does not open; was the server secret key changed?", account.id)
            raise AccountUnusable("The store's SMS account key does not open; set the account again.")
        provider = self._factory(account.provider, api_key)
        if made is not None:  # the account changed: its old provider's connections go at the next chance
            self._retired.append(made[1])
        self._made[account.id] = (account.updated_at, provider)
        return provider

    async def _close_retired(self) -> None:
        retired, self._retired = self._retired, []
        for provider in retired:
            close = getattr(provider, "aclose", None)
            if close is not None:
                await close()

    async def aclose(self) -> None:
        """Close every provider this directory made (and the platform's, if it can be closed)."""
        providers = [made for _, made in self._made.values()] + self._retired + [self.platform.provider]
        self._made.clear()
        self._retired = []
        for provider in providers:
            close = getattr(provider, "aclose", None)
            if close is not None:
                await close()
