"""Connecting to the live subscriptions with the reference graphql-ws client: the token in
connectionParams (as browsers send it) or the upgrade header, refusals with graphql-ws's close codes and
a reason, and the same limits and permissions as HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from domain.tenancy.security import issue_access_token
from tests.support.factories import TEST_SECRET, make_owner, make_store_key
from tests.support.graphql_ws_client import GraphQLWsClient, requires_node_client, ws_url
from tests.support.live_revisit import RevisitServer

pytestmark = requires_node_client

MONITOR = """
subscription Monitor($tenantId: ID, $heartbeat: Int! = 15) {
  eventMonitor(tenantId: $tenantId, heartbeatSeconds: $heartbeat) {
    kind at sinceLastTick { eventsReceived } sinceSubscribed { eventsReceived eventsProcessed }
  }
}
"""


def codes(errors: Any) -> list[str]:
    return [(error.get("extensions") or {}).get("code") for error in errors]


@pytest.mark.parametrize(
    "params",
    [
        lambda token: {"Authorization": f"Bearer {token}"},
        lambda token: {"authorization": f"Bearer {token}"},
        lambda token: {"token": token},
    ],
    ids=["Authorization", "authorization", "token"],
)
async def test_a_token_in_connection_params_authenticates_the_connection(
    db: None, live_server: RevisitServer, params: Any
) -> None:
    """Each way browser clients put the token in connectionParams is accepted: the connection is
    acknowledged and the monitor starts with a STARTED tick of zeros."""
    # given
    owner = await make_owner()
    # when
    async with GraphQLWsClient.connect(
        ws_url(live_server.base_url), connection_params=params(owner.token)
    ) as ws:
        await ws.event("connected")
        await ws.subscribe("m", MONITOR)
        payload = await ws.next_payload("m")
    # then
    tick = payload["data"]["eventMonitor"]
    assert (tick["kind"], tick["sinceSubscribed"]) == ("STARTED", {"eventsReceived": 0, "eventsProcessed": 0})
    assert "errors" not in payload


async def test_the_upgrade_requests_authorization_header_authenticates_too(
    db: None, live_server: RevisitServer
) -> None:
    """A client that can set headers (not a browser) may send Authorization on the upgrade instead."""
    # given
    owner = await make_owner()
    headers = {"Authorization": f"Bearer {owner.token}"}
    # when
    async with GraphQLWsClient.connect(ws_url(live_server.base_url), headers=headers) as ws:
        await ws.event("connected")
        await ws.subscribe("m", MONITOR)
        payload = await ws.next_payload("m")
    # then
    assert payload["data"]["eventMonitor"]["kind"] == "STARTED"


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        (None, 'Unauthorized: send connectionParams {"Authorization": "Bearer <token>"}'),
        ({"Authorization": "Bearer not-a-token"}, "Unauthorized: the token is invalid, expired or revoked"),
        ({"token": "rvk_nope_nope"}, "Unauthorized: the token is invalid, expired or revoked"),
        (
            {"token": "x" * 10_000},
            "Bad request: connectionParams.token must be printable text of at most 4096 chars",
        ),
        (
            {"token": "abc\u0000def"},
            "Bad request: connectionParams.token must be printable text of at most 4096 chars",
        ),
        (
            {"Authorization": 42},
            "Bad request: connectionParams.Authorization must be printable text of at most 4096 chars",
        ),
        ({"token": ""}, "Bad request: connectionParams.token must be printable text of at most 4096 chars"),
    ],
    ids=["nothing", "bad-token", "bad-store-key", "10000-chars", "nul", "number", "empty"],
)
async def test_a_connection_without_a_valid_token_is_closed_with_a_code_and_a_reason(
    db: None, live_server: RevisitServer, params: dict[str, Any] | None, reason: str
) -> None:
    """No token, a wrong one or a malformed one: the server closes at connection_init with 4401
    (Unauthorized) or 4400 (Bad request) and says what to send; nothing is acknowledged."""
    # when
    async with GraphQLWsClient.connect(ws_url(live_server.base_url), connection_params=params) as ws:
        closed = await ws.event("closed")
    # then
    expected_code = 4400 if reason.startswith("Bad request") else 4401
    assert (closed["code"], closed["reason"]) == (expected_code, reason)
    assert ws.seen("connected") == []


async def test_a_store_key_in_connection_params_may_not_read_the_monitor(
    db: None, live_server: RevisitServer
) -> None:
    """A store key authenticates, but holds no events/read permission: the subscription is refused
    FORBIDDEN, as the same query over HTTP would be."""
    # given
    owner = await make_owner()
    key = await make_store_key(owner)
    # when
    async with GraphQLWsClient.connect(ws_url(live_server.base_url), connection_params={"token": key}) as ws:
        await ws.event("connected")
        await ws.subscribe("m", MONITOR)
        failure = await ws.errors("m")
    # then
    assert codes(failure) == ["FORBIDDEN"]


async def test_another_stores_monitor_is_forbidden(db: None, live_server: RevisitServer) -> None:
    """An owner naming another store's id (argument or connectionParams) is refused FORBIDDEN."""
    # given
    mine, theirs = await make_owner(), await make_owner()
    url = ws_url(live_server.base_url)
    params = {"Authorization": f"Bearer {mine.token}"}
    # when
    async with GraphQLWsClient.connect(url, connection_params=params) as ws:
        await ws.event("connected")
        await ws.subscribe("arg", MONITOR, {"tenantId": theirs.tenant_id})
        by_argument = await ws.errors("arg")
    async with GraphQLWsClient.connect(
        url, connection_params={**params, "X-Revisit-Tenant": theirs.tenant_id}
    ) as ws:
        await ws.event("connected")
        await ws.subscribe("param", MONITOR)
        by_param = await ws.errors("param")
    # then
    assert codes(by_argument) == ["FORBIDDEN"]
    assert codes(by_param) == ["FORBIDDEN"]


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        (
            "subscription { " + " ".join(f"a{n}: eventMonitor {{ kind }}" for n in range(31)) + " }",
            "aliases",
        ),
        ("query { tenant { id } }", "queries are not allowed"),
        ("subscription { eventMonitor(heartbeatSeconds: 0) { kind } }", "heartbeatSeconds"),
        ("subscription { eventMonitor(heartbeatSeconds: 301) { kind } }", "heartbeatSeconds"),
        ("subscription { nope { kind } }", "Cannot query field"),
    ],
    ids=["31-aliases", "query", "heartbeat-0", "heartbeat-301", "unknown-field"],
)
async def test_documents_past_the_limits_or_not_subscriptions_are_refused(
    db: None, live_server: RevisitServer, document: str, expected: str
) -> None:
    """The websocket applies HTTP's alias limit and validation, runs subscriptions only (queries and
    mutations go over HTTP) and checks arguments: each is an error for that operation alone."""
    # given
    owner = await make_owner()
    params = {"Authorization": f"Bearer {owner.token}"}
    # when
    async with GraphQLWsClient.connect(ws_url(live_server.base_url), connection_params=params) as ws:
        await ws.event("connected")
        await ws.subscribe("bad", document)
        failure = await ws.errors("bad")
        await ws.subscribe("good", MONITOR)
        still_served = await ws.next_payload("good")
    # then
    messages = " ".join(error.get("message", "") for error in failure)
    assert expected in messages, failure
    assert still_served["data"]["eventMonitor"]["kind"] == "STARTED"


async def test_an_open_connection_is_closed_when_its_access_token_expires(
    db: None, live_server: RevisitServer
) -> None:
    """A token with three seconds left is accepted; once it expires the server closes the connection
    with 4401 and says to connect again with a new token."""
    # given
    owner = await make_owner()
    almost_expired = datetime.now(UTC) - timedelta(seconds=57)
    token = issue_access_token(owner.user.id, secret=TEST_SECRET, minutes=1, now=almost_expired)
    # when
    async with GraphQLWsClient.connect(
        ws_url(live_server.base_url), connection_params={"token": token}
    ) as ws:
        await ws.subscribe("m", MONITOR)
        started = await ws.next_payload("m")
        closed = await ws.event("closed", within=20)
    # then
    assert started["data"]["eventMonitor"]["kind"] == "STARTED"
    assert (closed["code"], closed["reason"]) == (
        4401,
        "Unauthorized: the token expired or was revoked; connect again with a new one",
    )


async def test_a_document_past_the_token_limit_closes_the_connection_as_a_syntax_error(
    db: None, live_server: RevisitServer
) -> None:
    """A subscription of more than 4,000 tokens is not parsed: as graphql-transport-ws does with any
    document it cannot parse, the server closes with 4400 and says why."""
    # given
    owner = await make_owner()
    document = "subscription { eventMonitor { " + "kind " * 4000 + "} }"
    # when
    async with GraphQLWsClient.connect(
        ws_url(live_server.base_url), connection_params={"token": owner.token}
    ) as ws:
        await ws.event("connected")
        await ws.subscribe("big", document)
        closed = await ws.event("closed")
    # then
    assert closed["code"] == 4400
    assert "4000 tokens" in closed["reason"]
