"""Passwords, access tokens and store-key secrets."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import OctKey

_hasher = PasswordHasher()

STORE_KEY_PREFIX = "rvk"
TOKEN_ISSUER = "revisit"
MAX_SECRET_LENGTH = 256

_PUBLIC_ID = re.compile(r"[0-9A-Za-z]{1,32}")
"""A key's public id: letters and digits, as long as its column at most (made as 16 hex digits)."""
_SECRET = re.compile(rf"[0-9A-Za-z_-]{{1,{MAX_SECRET_LENGTH}}}")
"""A key's secret: URL-safe base64 (made as 43 characters)."""


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def issue_access_token(user_id: UUID, *, secret: str, minutes: int, now: datetime | None = None) -> str:
    """A signed (HS256) short-lived token naming the user."""
    issued = now or datetime.now(UTC)
    claims = {
        "iss": TOKEN_ISSUER,
        "sub": str(user_id),
        "iat": int(issued.timestamp()),
        "exp": int((issued + timedelta(minutes=minutes)).timestamp()),
    }
    return jwt.encode({"alg": "HS256"}, claims, OctKey.import_key(secret))


def read_access_token(token: str, *, secret: str) -> UUID | None:
    """The user id in a valid, unexpired token; None for anything else."""
    try:
        decoded = jwt.decode(token, OctKey.import_key(secret), algorithms=["HS256"])
        jwt.JWTClaimsRegistry(
            iss={"essential": True, "value": TOKEN_ISSUER}, exp={"essential": True}, sub={"essential": True}
        ).validate(decoded.claims)
        return UUID(decoded.claims["sub"])
    except (JoseError, ValueError, KeyError):
        return None


@dataclass(frozen=True)
class StoreKeySecret:
    """A freshly made store key: ``token`` is shown once, only ``secret_hash`` is kept."""

    public_id: str
    token: str
    secret_hash: str


def hash_store_secret(secret: str) -> str:
    # The secret is 256 random bits, so a fast hash is enough; no salt or stretching is needed.
    return hashlib.sha256(secret.encode()).hexdigest()


def new_store_key_secret() -> StoreKeySecret:
    public_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    return StoreKeySecret(
        public_id=public_id,
        token=f"{STORE_KEY_PREFIX}_{public_id}_{secret}",
        secret_hash=hash_store_secret(secret),
    )


def looks_like_public_id(text: str) -> bool:
    """Whether ``text`` could be a key's public id (so looking it up is worth a query)."""
    return _PUBLIC_ID.fullmatch(text) is not None


def split_store_key(token: str) -> tuple[str, str] | None:
    """``rvk_<public id>_<secret>`` → (public id, secret), or None when it is not shaped like a key.

    Anything else (a public id longer than its column, control characters, a huge secret) is None too,
    so no malformed token ever reaches the database.
    """
    parts = token.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != STORE_KEY_PREFIX:
        return None
    public_id, secret = parts[1], parts[2]
    if not looks_like_public_id(public_id) or _SECRET.fullmatch(secret) is None:
        return None
    return public_id, secret


def secret_matches(secret: str, secret_hash: str) -> bool:
    return hmac.compare_digest(hash_store_secret(secret), secret_hash)
