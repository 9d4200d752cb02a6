"""Passwords, access tokens and store-key secrets."""

from __future__ import annotations

import hashlib
import hmac
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


def split_store_key(token: str) -> tuple[str, str] | None:
    """``rvk_<public id>_<secret>`` → (public id, secret), or None when it is not shaped like a key."""
    parts = token.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != STORE_KEY_PREFIX or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


def secret_matches(secret: str, secret_hash: str) -> bool:
    return hmac.compare_digest(hash_store_secret(secret), secret_hash)
