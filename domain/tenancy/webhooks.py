"""Webhook secrets: what a store's WooCommerce signs its deliveries with, and how Revisit checks them.

WooCommerce signs each delivery with ``base64(HMAC-SHA256(raw body, secret))``. To check it Revisit needs
the secret itself, so it is kept sealed (AES-GCM) under a key derived from the server's secret key, never
in the clear. The encryption key is passed in by the caller: the domain does not read settings.

A secret belongs to one store key. A revoked (or rotated-away) key's secret is never used again, so its
webhooks are refused; making a new secret for a key replaces the old one at once.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from domain.errors import DomainError, NotFound
from domain.tenancy.models import StoreKey, WebhookSecret

logger = logging.getLogger(__name__)

ENCRYPTION_KEY_INFO = b"revisit webhook secrets"
NONCE_BYTES = 12
LAST_USED_RESOLUTION_SECONDS = 60


def encryption_key(server_secret: str) -> bytes:
    """The AES-256 key that seals webhook secrets, derived (HKDF-SHA256) from the server's secret key."""
    return HKDF(algorithm=SHA256(), length=32, salt=None, info=ENCRYPTION_KEY_INFO).derive(
        server_secret.encode()
    )


def seal(secret: str, *, key: bytes, store_key_id: UUID) -> bytes:
    """``secret`` encrypted under ``key``: a fresh nonce, then the ciphertext with its tag.

    The store key's id is authenticated with it: moved to another key's row, the sealed secret no longer
    opens.
    """
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, secret.encode(), store_key_id.bytes)


def unseal(sealed: bytes, *, key: bytes, store_key_id: UUID) -> str | None:
    """The secret sealed for this store key, or None when it does not open (another key, or tampered)."""
    nonce, ciphertext = sealed[:NONCE_BYTES], sealed[NONCE_BYTES:]
    try:
        return AESGCM(key).decrypt(nonce, ciphertext, store_key_id.bytes).decode()
    except (InvalidTag, ValueError):
        return None


def signature_matches(body: bytes, signature: str, secret: str) -> bool:
    """Whether ``signature`` is WooCommerce's ``base64(HMAC-SHA256(body, secret))``, in constant time."""
    try:
        given = base64.b64decode(signature.strip(), validate=True)
    except (binascii.Error, ValueError):
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return hmac.compare_digest(given, expected)


async def create_webhook_secret(
    *, tenant_id: UUID, key_id: UUID, encryption_key: bytes
) -> tuple[StoreKey, str]:
    """A new webhook secret for a live store key, replacing any earlier one; returns the key and the secret.

    The secret is returned this once and stored only sealed. Run it in a transaction: the key's row is
    locked so two concurrent calls cannot both install a secret.
    """
    key = await StoreKey.filter(id=key_id, tenant_id=tenant_id).select_for_update().first()
    if key is None:
        raise NotFound("Store key", field="storeKeyId")
    if key.revoked_at is not None:
        raise DomainError(
            "REVOKED", "This key is revoked; make the secret for its replacement.", field="storeKeyId"
        )
    secret = secrets.token_urlsafe(32)
    await WebhookSecret.filter(store_key_id=key.id).delete()
    await WebhookSecret.create(
        tenant_id=tenant_id,
        store_key_id=key.id,
        ciphertext=seal(secret, key=encryption_key, store_key_id=key.id),
    )
    return key, secret


@dataclass(frozen=True)
class WebhookSender:
    """A live store key that has a webhook secret, with the secret opened to check a delivery."""

    key: StoreKey
    secret: str


async def find_sender(*, public_id: str, encryption_key: bytes) -> WebhookSender | None:
    """The live key with this public id and its webhook secret; None for an unknown or revoked key, a key
    without a secret, or a secret sealed under another server secret key."""
    if not public_id:
        return None
    row = (
        await WebhookSecret.filter(store_key__public_id=public_id, store_key__revoked_at__isnull=True)
        .select_related("store_key")
        .first()
    )
    if row is None:
        return None
    key = row.store_key
    secret = unseal(row.ciphertext, key=encryption_key, store_key_id=key.id)
    if secret is None:
        logger.warning(
            "webhook secret of store key %s does not open; was the server secret key changed?", key.id
        )
        return None
    return WebhookSender(key=key, secret=secret)


async def mark_used(*, key: StoreKey, now: datetime | None = None) -> None:
    """Record that a key was just used (to the minute, so busy stores do not write on every delivery)."""
    moment = now or datetime.now(UTC)
    if key.last_used_at is None or (moment - key.last_used_at).total_seconds() > LAST_USED_RESOLUTION_SECONDS:
        await StoreKey.filter(id=key.id).update(last_used_at=moment)
