"""Failed-login limits per account and per client address, counted in Redis with ``limits``.

Only failures count. Once an account (its e-mail, case-insensitive) or a client address has used up its
allowance, login is refused before the password is looked at, even a right one, until the moving window
has room again. A success clears the account's count, never the address's: otherwise an attacker could
sign in to an account of their own between guesses to reset their address.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass

import limits
from limits.aio.storage import Storage
from limits.aio.strategies import MovingWindowRateLimiter

from domain.errors import DomainError


class RateLimited(DomainError):
    """Too many failed logins; ``retry_after`` is the number of seconds until one more is allowed."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            "RATE_LIMITED", f"Too many failed sign-ins. Try again in {retry_after} seconds.", field=None
        )
        self.retry_after = retry_after


@dataclass(frozen=True)
class LoginLimits:
    """The two allowances, in ``limits`` notation (``"10 per 15 minutes"``)."""

    per_account: str
    per_address: str


class LoginGuard:
    """Checks and records login failures. One per request is cheap: it only wraps the storage."""

    def __init__(self, storage: Storage, rules: LoginLimits) -> None:
        self._limiter = MovingWindowRateLimiter(storage)
        self._per_account = limits.parse(rules.per_account)
        self._per_address = limits.parse(rules.per_address)

    async def ensure_allowed(self, *, email: str, address: str | None) -> None:
        """Raise ``RateLimited`` when the account or the address has no failures left."""
        waits = [
            await self._wait(self._per_account, "account", _account_key(email)),
            await self._wait(self._per_address, "address", address) if address else 0,
        ]
        if max(waits) > 0:
            raise RateLimited(max(waits))

    async def record_failure(self, *, email: str, address: str | None) -> None:
        await self._limiter.hit(self._per_account, "login", "account", _account_key(email))
        if address:
            await self._limiter.hit(self._per_address, "login", "address", address)

    async def record_success(self, *, email: str) -> None:
        await self._limiter.clear(self._per_account, "login", "account", _account_key(email))

    async def _wait(self, item: limits.RateLimitItem, kind: str, key: str) -> int:
        if await self._limiter.test(item, "login", kind, key):
            return 0
        stats = await self._limiter.get_window_stats(item, "login", kind, key)
        return max(1, math.ceil(stats.reset_time - time.time()))


def _account_key(email: str) -> str:
    """The account's key: a digest of the normalised e-mail, so Redis never holds the address itself."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]
