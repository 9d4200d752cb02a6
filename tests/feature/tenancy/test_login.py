"""Signing in through GraphQL: attempts are limited per account and per address, in Redis."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from arq.connections import ArqRedis
from starlette.applications import Starlette

from revisit.settings import Settings
from tests.support.api import ApiClient, GraphQLResult
from tests.support.factories import PASSWORD, TEST_SECRET, make_owner

LOGIN = """
mutation Login($email: String!, $password: String!) {
  login(email: $email, password: $password) { accessToken retryAfter errors { code field message } }
}
"""
VIEWER = "query { viewer { email } }"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path,
        secret_key=TEST_SECRET,
        log_json=False,
        login_limit_per_account="3 per 15 minutes",
        login_limit_per_address="8 per 15 minutes",
    )


@asynccontextmanager
async def client_at(app: Starlette, address: str) -> AsyncIterator[ApiClient]:
    """A client whose requests come from ``address``, as the ASGI server would report it."""
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://revisit.test") as http:
        yield ApiClient(http)


async def login(client: ApiClient, email: str, password: str) -> dict[str, object]:
    result: GraphQLResult = await client.graphql(LOGIN, {"email": email, "password": password})
    return result.ok()["login"]


def codes(payload: dict[str, object]) -> list[str]:
    return [error["code"] for error in payload["errors"]]  # type: ignore[attr-defined, index]


async def test_the_right_password_signs_in_and_the_token_works(client: ApiClient) -> None:
    """A correct e-mail (in any case) and password give a token that authenticates the viewer."""
    # given
    owner = await make_owner()
    # when
    payload = await login(client, owner.user.email.upper(), PASSWORD)
    # then
    assert payload["errors"] == [] and payload["retryAfter"] is None
    viewer = (await client.graphql(VIEWER, token=str(payload["accessToken"]))).ok()["viewer"]
    assert viewer["email"] == owner.user.email


async def test_after_the_account_limit_even_the_right_password_is_refused(client: ApiClient) -> None:
    """Three wrong passwords use up the account's allowance: the fourth try, right, is RATE_LIMITED."""
    # given
    owner = await make_owner()
    failures = [await login(client, owner.user.email, f"wrong guess {n}") for n in range(3)]
    # when
    refused = await login(client, owner.user.email, PASSWORD)
    # then
    assert [codes(payload) for payload in failures] == [["INVALID_CREDENTIALS"]] * 3
    assert codes(refused) == ["RATE_LIMITED"]
    assert refused["accessToken"] is None
    assert 0 < int(refused["retryAfter"]) <= 15 * 60  # type: ignore[call-overload]
    assert str(refused["retryAfter"]) in refused["errors"][0]["message"]  # type: ignore[index]


async def test_the_account_limit_counts_failures_from_every_address_and_spelling(app: Starlette) -> None:
    """Failures for OWNER@… from one address and owner@… from another add up to the account's limit."""
    # given
    owner = await make_owner()
    async with client_at(app, "10.0.0.1") as first, client_at(app, "10.0.0.2") as second:
        await login(first, owner.user.email.upper(), "wrong guess 1")
        await login(second, owner.user.email, "wrong guess 2")
        await login(second, f"  {owner.user.email}  ", "wrong guess 3")
        # when
        async with client_at(app, "10.0.0.3") as fresh:
            refused = await login(fresh, owner.user.email, PASSWORD)
    # then
    assert codes(refused) == ["RATE_LIMITED"]


async def test_an_address_out_of_attempts_is_refused_for_every_account_but_others_still_sign_in(
    app: Starlette,
) -> None:
    """Eight attempts from one address over several accounts block that address, not the accounts."""
    # given
    owner = await make_owner()
    async with client_at(app, "10.0.0.9") as attacker:
        for n in range(8):
            await login(attacker, f"someone{n}@example.ir", "wrong guess")
        # when
        from_attacker = await login(attacker, owner.user.email, PASSWORD)
    async with client_at(app, "10.0.0.10") as owner_client:
        from_owner = await login(owner_client, owner.user.email, PASSWORD)
    # then
    assert codes(from_attacker) == ["RATE_LIMITED"]
    assert from_owner["errors"] == [] and from_owner["accessToken"]


async def test_parallel_guesses_get_no_more_tries_than_patient_ones(client: ApiClient) -> None:
    """Twelve wrong passwords sent at once on an account allowing three: three checked, nine refused."""
    # given
    owner = await make_owner()
    # when
    answers = await asyncio.gather(*(login(client, owner.user.email, f"guess {n}") for n in range(12)))
    # then
    outcomes = sorted(code for payload in answers for code in codes(payload))
    assert outcomes == ["INVALID_CREDENTIALS"] * 3 + ["RATE_LIMITED"] * 9


async def test_a_success_clears_the_account_count(client: ApiClient) -> None:
    """Two typos, a success, two more typos: the account has not reached three failures in a row."""
    # given
    owner = await make_owner()
    await login(client, owner.user.email, "typo one")
    await login(client, owner.user.email, "typo two")
    assert (await login(client, owner.user.email, PASSWORD))["errors"] == []
    await login(client, owner.user.email, "typo three")
    await login(client, owner.user.email, "typo four")
    # when
    payload = await login(client, owner.user.email, PASSWORD)
    # then
    assert payload["errors"] == [] and payload["accessToken"]


async def test_an_unknown_email_costs_as_much_as_a_known_one(client: ApiClient, redis: ArqRedis) -> None:
    """Both verify an argon2 hash: the unknown e-mail's answer is not markedly faster (it was 4×)."""
    # given
    owner = await make_owner()
    await login(client, "warm-up@example.ir", "wrong guess")  # the stand-in hash is made once

    async def seconds(email: str) -> float:
        started = time.perf_counter()
        payload = await login(client, email, "wrong guess")
        assert codes(payload) == ["INVALID_CREDENTIALS"]
        await redis.flushdb()  # keep clear of the attempt limits
        return time.perf_counter() - started

    # when
    known = statistics.median([await seconds(owner.user.email) for _ in range(5)])
    unknown = statistics.median([await seconds("nobody@example.ir") for _ in range(5)])
    # then
    assert unknown > 0.6 * known, (known, unknown)


async def test_a_weak_password_is_refused_at_registration_with_zxcvbn_advice(client: ApiClient) -> None:
    """Blank, common and e-mail-derived passwords are WEAK_PASSWORD with advice; no account is made."""
    # given
    register = """
    mutation Register($input: RegisterInput!) {
      register(input: $input) { accessToken errors { code field message } }
    }
    """

    def attempt(password: str) -> dict[str, object]:
        return {"input": {"email": "sara@shop.ir", "password": password, "storeName": "Chai"}}

    # when
    answers = {
        password: (await client.graphql(register, attempt(password))).ok()["register"]
        for password in ["          ", "password1234", "sara@shop.ir1", "short"]
    }
    # then
    for password, payload in answers.items():
        assert payload["accessToken"] is None, password
        assert [(e["code"], e["field"]) for e in payload["errors"]] == [("WEAK_PASSWORD", "password")]
    assert "blank" in answers["          "]["errors"][0]["message"]
    assert "common password" in answers["password1234"]["errors"][0]["message"]
    signed_in = await login(client, "sara@shop.ir", "password1234")
    assert codes(signed_in) == ["INVALID_CREDENTIALS"]
