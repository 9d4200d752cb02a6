"""Status filters of every list: a value outside the vocabulary is refused, never an empty answer."""

from __future__ import annotations

import pytest

from domain.events.service import store_events
from tests.support.api import ApiClient
from tests.support.events import order
from tests.support.factories import make_owner

EVENTS = "query($s: String) { ingestedEvents(status: $s) { edges { node { eventId status } } } }"
ORDERS = "query($s: String) { orders(status: $s) { edges { node { externalId status } } } }"


async def test_an_unknown_event_status_is_invalid_and_names_the_allowed_ones(client: ApiClient) -> None:
    """ingestedEvents(status: "bogus") is INVALID listing pending, waiting, processed and failed."""
    # given
    owner = await make_owner()
    # when
    result = await client.graphql(EVENTS, {"s": "bogus"}, token=owner.token)
    # then
    assert result.error_codes() == ["INVALID"]
    assert result.data is None
    message = result.errors[0]["message"]  # type: ignore[index]
    assert all(status in message for status in ("pending", "waiting", "processed", "failed"))


async def test_a_known_event_status_filters_in_any_letter_case(client: ApiClient) -> None:
    """ "PENDING" and "pending" both find the stored event; "failed" finds none."""
    # given
    owner = await make_owner()
    await store_events(
        tenant_id=owner.tenant.id,
        source="api",
        raw_events=[order("e-1", status="completed", at="2026-11-20T10:00:00+03:30")],
    )
    # when
    upper = (await client.graphql(EVENTS, {"s": "PENDING"}, token=owner.token)).ok()
    lower = (await client.graphql(EVENTS, {"s": "pending"}, token=owner.token)).ok()
    failed = (await client.graphql(EVENTS, {"s": "failed"}, token=owner.token)).ok()
    # then
    assert [edge["node"]["eventId"] for edge in upper["ingestedEvents"]["edges"]] == ["e-1"]
    assert upper == lower
    assert failed["ingestedEvents"]["edges"] == []


async def test_an_unknown_order_status_is_invalid_and_a_woocommerce_spelling_is_accepted(
    client: ApiClient,
) -> None:
    """orders(status: "bogus") is INVALID naming on-hold among others; "wc-completed" is completed."""
    # given
    owner = await make_owner()
    # when
    bogus = await client.graphql(ORDERS, {"s": "bogus"}, token=owner.token)
    woo = await client.graphql(ORDERS, {"s": "wc-completed"}, token=owner.token)
    # then
    assert bogus.error_codes() == ["INVALID"] and "on-hold" in bogus.errors[0]["message"]  # type: ignore[index]
    assert woo.ok()["orders"]["edges"] == []


@pytest.mark.parametrize(
    "document",
    [
        'query { outboundMessages(status: "bogus") { edges { node { id } } } }',
        "query { outboundMessages(status: BOGUS) { edges { node { id } } } }",
        "query { automations(status: BOGUS) { edges { node { id } } } }",
        "query { automationRuns(state: BOGUS) { edges { node { id } } } }",
    ],
)
async def test_enum_filters_refuse_values_outside_the_enum(client: ApiClient, document: str) -> None:
    """Messages, automations and runs filter by a schema enum: anything else fails validation."""
    # given
    owner = await make_owner()
    # when
    result = await client.graphql(document, token=owner.token)
    # then
    assert result.data is None
    assert result.errors and "enum" in result.errors[0]["message"].lower()
