"""The request's login guard: the configured limits over the app's own Redis connection pool."""

from __future__ import annotations

from limits.aio.storage import RedisStorage

from domain.tenancy.login_limits import LoginGuard, LoginLimits
from graph.core.context import Info


def login_guard(info: Info) -> LoginGuard:
    """A guard counting in the Redis the API already uses (the queue's pool, redis-py's asyncio client)."""
    queue = info.context.queue
    if queue is None:
        raise RuntimeError("login needs Redis for its attempt limits, and this app has none")
    settings = info.context.settings
    # limits documents ``connection_pool`` but types its extra options as scalars only
    pool = queue.connection_pool
    storage = RedisStorage("async+redis://", implementation="redispy", connection_pool=pool)  # type: ignore[arg-type]
    rules = LoginLimits(
        per_account=settings.login_limit_per_account, per_address=settings.login_limit_per_address
    )
    return LoginGuard(storage, rules)
