"""The login guard over real Redis: failures counted per account and address, waits in seconds."""

from __future__ import annotations

import pytest
from arq.connections import ArqRedis
from limits.aio.storage import RedisStorage

from domain.tenancy.login_limits import LoginGuard, LoginLimits, RateLimited


def guard(redis: ArqRedis) -> LoginGuard:
    storage = RedisStorage("async+redis://", implementation="redispy", connection_pool=redis.connection_pool)
    return LoginGuard(storage, LoginLimits(per_account="2 per 1 minute", per_address="3 per 1 minute"))


async def test_the_wait_is_the_time_until_the_oldest_failure_leaves_the_window(redis: ArqRedis) -> None:
    """Two failures in a one-minute window: the third check waits about a minute, not zero or forever."""
    # given
    limited = guard(redis)
    await limited.record_failure(email="a@shop.ir", address="10.1.1.1")
    await limited.record_failure(email="A@Shop.ir ", address="10.1.1.2")
    # when
    with pytest.raises(RateLimited) as refused:
        await limited.ensure_allowed(email="a@shop.ir", address="10.1.1.3")
    # then
    assert refused.value.code == "RATE_LIMITED"
    assert 50 <= refused.value.retry_after <= 60


async def test_accounts_and_addresses_are_counted_apart(redis: ArqRedis) -> None:
    """A failure on one account does not count against another one from a different address."""
    # given
    limited = guard(redis)
    await limited.record_failure(email="a@shop.ir", address="10.1.1.1")
    await limited.record_failure(email="a@shop.ir", address="10.1.1.1")
    # when / then: another account from another address is allowed
    await limited.ensure_allowed(email="b@shop.ir", address="10.1.1.2")


async def test_redis_holds_no_email_address(redis: ArqRedis) -> None:
    """The account key is a digest: the e-mail itself is not in Redis."""
    # given
    limited = guard(redis)
    # when
    await limited.record_failure(email="private.person@shop.ir", address=None)
    # then
    keys = [key.decode() for key in await redis.keys("*")]
    assert keys and not any("private" in key for key in keys)
