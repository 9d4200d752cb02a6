"""A document sent again is parsed and validated from memory, yet every limit and every caller's rules
still apply to it: the answer to a repeated document is the answer it would get the first time."""

from __future__ import annotations

from pathlib import Path

import pytest

from revisit.settings import Settings
from tests.support.api import ApiClient
from tests.support.factories import TEST_SECRET, make_owner

TOO_DEEP = "query { orders { edges { node { items { name } } } } }"
SCHEMA_NAME = "query { __schema { queryType { name } } }"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, secret_key=TEST_SECRET, graphql_max_depth=3, graphql_max_tokens=200)


async def test_a_document_over_the_depth_limit_is_refused_every_time(client: ApiClient) -> None:
    """The second and third sending of a too-deep document are refused like the first."""
    # given
    owner = await make_owner()
    # when
    results = [await client.graphql(TOO_DEEP, token=owner.token) for _ in range(3)]
    # then
    for result in results:
        assert result.data is None
        assert result.errors and "exceeds maximum operation depth" in result.errors[0]["message"]


async def test_introspection_is_decided_per_caller_for_the_same_document(client: ApiClient) -> None:
    """The same introspection text, alternately signed in and anonymous: answered, refused, answered."""
    # given
    owner = await make_owner()
    # when
    signed_in = await client.graphql(SCHEMA_NAME, token=owner.token)
    anonymous = await client.graphql(SCHEMA_NAME)
    again = await client.graphql(SCHEMA_NAME, token=owner.token)
    # then
    assert signed_in.ok()["__schema"]["queryType"]["name"] == "Query"
    assert anonymous.error_codes() == ["UNAUTHENTICATED"] and anonymous.data is None
    assert again.ok() == signed_in.ok()


async def test_a_document_that_does_not_parse_or_has_too_many_tokens_fails_every_time(
    client: ApiClient,
) -> None:
    """Documents that fail to parse are not remembered: each sending is refused again."""
    # given
    owner = await make_owner()
    broken = "query { viewer { id "
    huge = "query { viewer { " + " ".join(["id"] * 300) + " } }"
    # when
    results = [await client.graphql(text, token=owner.token) for text in (broken, broken, huge, huge)]
    # then
    assert all(result.errors and result.data is None for result in results)
    assert "token" in (results[3].errors or [{}])[0]["message"].lower()


async def test_the_same_document_with_other_variables_answers_for_those_variables(client: ApiClient) -> None:
    """A remembered document still takes this request's variables (and their own validation)."""
    # given
    owner = await make_owner()
    query = "query($first: Int) { customers(first: $first) { pageInfo { hasNextPage } } }"
    # when
    fine = await client.graphql(query, {"first": 5}, token=owner.token)
    out_of_range = await client.graphql(query, {"first": 0}, token=owner.token)
    not_a_number = await client.graphql(query, {"first": "many"}, token=owner.token)
    # then
    assert fine.ok()["customers"]["pageInfo"]["hasNextPage"] is False
    assert out_of_range.error_codes() == ["INVALID_PAGE_SIZE"]
    assert not_a_number.errors and not_a_number.data is None
