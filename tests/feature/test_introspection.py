"""Introspection through /graphql: bounded in depth like any document, and open only as configured."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import get_introspection_query

from revisit.settings import Settings
from tests.support.api import ApiClient
from tests.support.factories import TEST_SECRET, make_owner

SCHEMA_NAME = "query { __schema { queryType { name } } }"
TYPE_NAME = 'query { __type(name: "Tenant") { name } }'
SDL = "query { _service { sdl } }"
# The standard query GraphiQL and other tools send (graphql-core's copy is one ofType deeper than GraphiQL's).
FULL_INTROSPECTION = get_introspection_query(descriptions=True, input_value_deprecation=True)


def of_type_chain(levels: int) -> str:
    """``__schema { queryType { ofType { ofType { … name } } } }``, ``levels`` ofType deep."""
    return "query { __schema { queryType { " + "ofType { " * levels + "name" + " }" * levels + " } } }"


@pytest.fixture
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    rule = getattr(request, "param", "authenticated")
    return Settings(data_dir=tmp_path, secret_key=TEST_SECRET, log_json=False, graphql_introspection=rule)


async def test_anonymous_callers_may_not_introspect_by_default(client: ApiClient) -> None:
    """Without a token, __schema and __type are refused (UNAUTHENTICATED) and nothing is answered."""
    # when
    schema = await client.graphql(SCHEMA_NAME)
    type_ = await client.graphql(TYPE_NAME)
    # then
    assert schema.error_codes() == ["UNAUTHENTICATED"] and schema.data is None
    assert type_.error_codes() == ["UNAUTHENTICATED"] and type_.data is None


async def test_typename_and_the_federation_sdl_stay_open_to_anonymous_callers(client: ApiClient) -> None:
    """__typename is not introspection; a gateway still reads _service { sdl } without a token."""
    # when
    typename = await client.graphql("query { __typename }")
    sdl = await client.graphql(SDL)
    # then
    assert typename.ok() == {"__typename": "Query"}
    assert 'type Tenant @key(fields: "id")' in sdl.ok()["_service"]["sdl"]


async def test_a_signed_in_caller_runs_the_full_introspection_query(client: ApiClient) -> None:
    """The standard introspection query (what GraphiQL sends) passes the depth limit for an owner."""
    # given
    owner = await make_owner()
    # when
    result = await client.graphql(FULL_INTROSPECTION, token=owner.token)
    # then
    types = {item["name"] for item in result.ok()["__schema"]["types"]}
    assert {"Tenant", "Query", "Mutation"} <= types


async def test_an_introspection_chain_deeper_than_the_limit_is_refused_even_when_signed_in(
    client: ApiClient,
) -> None:
    """104 levels of __Type.ofType (once accepted) are refused with TOO_DEEP; 10 levels pass."""
    # given
    owner = await make_owner()
    # when
    deep = await client.graphql(of_type_chain(104), token=owner.token)
    shallow = await client.graphql(of_type_chain(10), token=owner.token)
    # then
    assert deep.error_codes() == ["TOO_DEEP"] and deep.data is None
    assert shallow.ok()["__schema"]["queryType"]["ofType"] is None


async def test_depth_through_fragments_is_counted_too(client: ApiClient) -> None:
    """Nesting spread across fragments adds up; cycles are not followed forever."""
    # given
    owner = await make_owner()
    levels = "".join(f"fragment F{n} on __Type {{ ofType {{ ...F{n + 1} }} }}\n" for n in range(30))
    document = f"query {{ __schema {{ queryType {{ ...F0 }} }} }}\n{levels}fragment F30 on __Type {{ name }}"
    # when
    result = await client.graphql(document, token=owner.token)
    # then
    assert result.error_codes() == ["TOO_DEEP"]


@pytest.mark.parametrize("settings", ["everyone"], indirect=True)
async def test_introspection_can_be_opened_to_everyone(client: ApiClient) -> None:
    """With graphql_introspection=everyone (what `revisit dev` uses), anonymous GraphiQL works."""
    # when
    result = await client.graphql(FULL_INTROSPECTION)
    # then
    assert result.ok()["__schema"]["queryType"]["name"] == "Query"


@pytest.mark.parametrize("settings", ["nobody"], indirect=True)
async def test_introspection_can_be_closed_to_everyone_but_the_gateway_still_composes(
    client: ApiClient,
) -> None:
    """With graphql_introspection=nobody an owner is refused (FORBIDDEN); _service { sdl } answers."""
    # given
    owner = await make_owner()
    # when
    refused = await client.graphql(SCHEMA_NAME, token=owner.token)
    sdl = await client.graphql(SDL)
    # then
    assert refused.error_codes() == ["FORBIDDEN"]
    assert "federation/v2.11" in sdl.ok()["_service"]["sdl"]


async def test_a_signed_in_caller_looks_up_one_type_by_name(client: ApiClient) -> None:
    """__type(name:) answers the type (its text argument passes the argument guard); a NUL in the name is
    INVALID like any other argument, never "Internal error."."""
    # given
    owner = await make_owner()
    # when
    found = await client.graphql('query { __type(name: "Tenant") { name } }', token=owner.token)
    hostile = await client.graphql(
        "query($n: String!) { __type(name: $n) { name } }", {"n": "Ten\x00ant"}, token=owner.token
    )
    # then
    assert found.ok() == {"__type": {"name": "Tenant"}}
    assert hostile.error_codes() == ["INVALID"]
