"""A store's country through GraphQL: stated at sign-up, or taken from the store's time zone."""

from __future__ import annotations

import pytest

from tests.support.api import ApiClient

REGISTER = """
mutation Register($input: RegisterInput!) {
  register(input: $input) { tenant { country timezone currency } errors { code field message } }
}
"""


def signup(**store: object) -> dict[str, object]:
    return {
        "input": {
            "email": "maryam@example.co.uk",
            "password": "tea-kettle-harbour-9",
            "storeName": "Tea Room",
            **store,
        }
    }


async def test_a_store_on_london_time_is_british_unless_it_says_otherwise(client: ApiClient) -> None:
    """No country given: the time zone's (GB); a stated country wins over the time zone."""
    # when
    derived = await client.graphql(REGISTER, signup(timezone="Europe/London", currency="USD", locale="en"))
    stated = await client.graphql(
        REGISTER,
        {"input": {**signup(timezone="Europe/London", country="ie")["input"], "email": "other@example.ie"}},  # type: ignore[dict-item]
    )
    # then
    assert derived.ok()["register"] == {
        "tenant": {"country": "GB", "timezone": "Europe/London", "currency": "USD"},
        "errors": [],
    }
    assert stated.ok()["register"]["tenant"]["country"] == "IE"


@pytest.mark.parametrize("country", ["ZZ", "IRN", "I\x00R", "x" * 10_000])
async def test_a_country_that_is_no_iso_code_is_refused_and_nothing_is_created(
    client: ApiClient, country: str
) -> None:
    """An unknown country is INVALID on `country`; no account is made, so the same e-mail signs up next."""
    # when
    refused = await client.graphql(REGISTER, signup(country=country))
    accepted = await client.graphql(REGISTER, signup(country="IR"))
    # then
    errors = refused.ok()["register"]["errors"]
    assert refused.ok()["register"]["tenant"] is None
    assert [error["code"] for error in errors] == ["INVALID"]
    assert errors[0]["field"] in {"country", "input.country"}
    assert accepted.ok()["register"]["errors"] == []
