"""Depth, alias and token limits stop abusive documents before they run (limits lowered to show it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from revisit.settings import Settings
from tests.support.api import ApiClient
from tests.support.factories import TEST_SECRET, make_owner

ORDERS_WITH_ITEMS = "query { orders { edges { node { items { name } } } } }"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path,
        secret_key=TEST_SECRET,
        graphql_max_depth=3,
        graphql_max_aliases=5,
        graphql_max_tokens=200,
    )


async def test_a_document_deeper_than_the_limit_is_refused(client: ApiClient) -> None:
    """orders → edges → node → items → name is deeper than a limit of 3: refused, nothing resolved."""
    # given
    owner = await make_owner()
    # when
    result = await client.graphql(ORDERS_WITH_ITEMS, token=owner.token)
    # then
    assert result.errors and "exceeds maximum operation depth" in result.errors[0]["message"]
    assert result.data is None


async def test_more_aliases_than_the_limit_are_refused(client: ApiClient) -> None:
    """Six aliases against a limit of five are refused; five pass."""
    # given
    owner = await make_owner()
    five = "query { " + " ".join(f"a{i}: viewer {{ id }}" for i in range(5)) + " }"
    six = "query { " + " ".join(f"a{i}: viewer {{ id }}" for i in range(6)) + " }"
    # when
    allowed = await client.graphql(five, token=owner.token)
    refused = await client.graphql(six, token=owner.token)
    # then
    assert allowed.errors is None
    assert refused.errors and "aliases" in refused.errors[0]["message"].lower()


async def test_a_document_with_too_many_tokens_is_refused(client: ApiClient) -> None:
    """A huge document is refused at parse time, before validation or execution."""
    # given
    owner = await make_owner()
    huge = "query { viewer { " + " ".join(["id"] * 300) + " } }"
    # when
    result = await client.graphql(huge, token=owner.token)
    # then
    assert result.errors and "token" in result.errors[0]["message"].lower()
