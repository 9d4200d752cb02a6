"""Subscriptions are served over the websocket only: sent over HTTP, as JSON or as a multipart
subscription, they are refused with a clear error and start nothing."""

from __future__ import annotations

from tests.support.api import ApiClient
from tests.support.factories import make_owner

MONITOR = "subscription { eventMonitor { kind } }"


async def test_a_subscription_over_http_is_refused(client: ApiClient) -> None:
    """A POSTed subscription, plain JSON or asking for multipart, answers WEBSOCKET_REQUIRED."""
    # given
    owner = await make_owner()
    headers = {"Authorization": f"Bearer {owner.token}"}
    # when
    plain = await client.http.post("/graphql", json={"query": MONITOR}, headers=headers)
    multipart = await client.http.post(
        "/graphql",
        json={"query": MONITOR},
        headers={**headers, "Accept": "multipart/mixed;subscriptionSpec=1.0,application/json"},
    )
    # then
    assert plain.json()["errors"][0]["extensions"]["code"] == "WEBSOCKET_REQUIRED"
    assert "WEBSOCKET_REQUIRED" in multipart.text
