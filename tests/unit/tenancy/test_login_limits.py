"""The login guard over real Redis: attempts counted per account and address, waits in seconds."""

from __future__ import annotations

import asyncio

import pytest
from arq.connections import ArqRedis
from limits.aio.storage import RedisStorage

from domain.tenancy.login_limits import LoginGuard, LoginLimits, RateLimited


def guard(
    redis: ArqRedis, *, per_account: str = "2 per 1 minute", per_address: str = "3 per 1 minute"
) -> LoginGuard:
    storage = RedisStorage("async+redis://", implementation="redispy", connection_pool=redis.connection_pool)
    return LoginGuard(storage, LoginLimits(per_account=per_account, per_address=per_address))


async def test_the_wait_is_the_time_until_the_oldest_attempt_leaves_the_window(redis: ArqRedis) -> None:
    """Two attempts on one account in a one-minute window: the third waits about a minute."""
    # given
    limited = guard(redis)
    await limited.take_attempt(email="a@shop.ir", address="10.1.1.1")
    await limited.take_attempt(email="A@Shop.ir ", address="10.1.1.2")
    # when
    with pytest.raises(RateLimited) as refused:
        await limited.take_attempt(email="a@shop.ir", address="10.1.1.3")
    # then
    assert refused.value.code == "RATE_LIMITED"
    assert 50 <= refused.value.retry_after <= 60


async def test_accounts_and_addresses_are_counted_apart(redis: ArqRedis) -> None:
    """Two attempts on one account from one address leave another account at another address alone."""
    # given
    limited = guard(redis)
    await limited.take_attempt(email="a@shop.ir", address="10.1.1.1")
    await limited.take_attempt(email="a@shop.ir", address="10.1.1.1")
    # when / then: no exception
    await limited.take_attempt(email="b@shop.ir", address="10.1.1.2")


async def test_a_success_gives_the_account_its_allowance_back(redis: ArqRedis) -> None:
    """After two attempts and a success, the account has two attempts again."""
    # given
    limited = guard(redis, per_address="10 per 1 minute")
    await limited.take_attempt(email="a@shop.ir", address="10.1.1.1")
    await limited.take_attempt(email="a@shop.ir", address="10.1.1.1")
    # when
    await limited.record_success(email="a@shop.ir")
    # then: no exception
    await limited.take_attempt(email="a@shop.ir", address="10.1.1.1")
    await limited.take_attempt(email="a@shop.ir", address="10.1.1.1")


async def test_a_burst_of_parallel_attempts_gets_no_more_than_the_allowance(redis: ArqRedis) -> None:
    """Twenty attempts at once on an account allowing two: exactly two pass, eighteen are refused."""
    # given
    limited = guard(redis, per_address="100 per 1 minute")

    async def attempt() -> bool:
        try:
            await limited.take_attempt(email="a@shop.ir", address="10.1.1.1")
        except RateLimited:
            return False
        return True

    # when
    outcomes = await asyncio.gather(*(attempt() for _ in range(20)))
    # then
    assert outcomes.count(True) == 2


async def test_redis_holds_no_email_address(redis: ArqRedis) -> None:
    """The account key is a digest: the e-mail itself is not in Redis."""
    # given
    limited = guard(redis)
    # when
    await limited.take_attempt(email="private.person@shop.ir", address=None)
    # then
    keys = [key.decode() for key in await redis.keys("*")]
    assert keys and not any("private" in key for key in keys)
