"""Sign-in limits per account and per client address, counted in Redis with ``limits``.

Every attempt takes one unit from its address's allowance and one from its account's (the e-mail,
case-insensitive) before the password is looked at, atomically, so a burst of parallel guesses gets no
more tries than a patient one. Once either allowance is used up, login is refused, even with a right
password, until the moving window has room again. A success gives the account its whole allowance
back, so only failures add up there; the address keeps counting every attempt (otherwise an attacker
could sign in to an account of their own between guesses to reset their address).
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
    """Counts sign-in attempts. One per request is cheap: it only wraps the storage."""

    def __init__(self, storage: Storage, rules: LoginLimits) -> None:
        self._limiter = MovingWindowRateLimiter(storage)
        self._per_account = limits.parse(rules.per_account)
        self._per_address = limits.parse(rules.per_address)

    async def take_attempt(self, *, email: str, address: str | None) -> None:
        """Count one attempt; raise ``RateLimited`` (counting nothing more) when one is not allowed now."""
        if address and not await self._limiter.hit(self._per_address, "login", "address", address):
            raise RateLimited(await self._wait(self._per_address, "address", address))
        account = _account_key(email)
        if not await self._limiter.hit(self._per_account, "login", "account", account):
            raise RateLimited(await self._wait(self._per_account, "account", account))

    async def record_success(self, *, email: str) -> None:
        """Give the account back its allowance: a typo before a success is forgotten."""
        await self._limiter.clear(self._per_account, "login", "account", _account_key(email))

    async def _wait(self, item: limits.RateLimitItem, kind: str, key: str) -> int:
        """Seconds until the oldest attempt leaves the window, at least one."""
        stats = await self._limiter.get_window_stats(item, "login", kind, key)
        return max(1, math.ceil(stats.reset_time - time.time()))


def _account_key(email: str) -> str:
    """The account's key: a digest of the normalised e-mail, so Redis never holds the address itself."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]
