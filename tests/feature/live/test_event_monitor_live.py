"""eventMonitor as a store owner watches it with the graphql-ws client: events posted through REST
appear as received, then as processed once a worker has run; each store sees only its own; and any API
process serves a subscriber whatever process the events came through."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from arq.connections import ArqRedis

from revisit.live import monitor_channel
from revisit.services import ServiceUrls
from revisit.settings import Settings
from tests.support.events import order
from tests.support.factories import TEST_SECRET, Owner, make_owner, make_store_key
from tests.support.graphql_ws_client import GraphQLWsClient, requires_node_client, ws_url
from tests.support.live_revisit import RevisitServer
from tests.support.worker import drain_queue

pytestmark = requires_node_client

MONITOR = """
subscription Monitor($heartbeat: Int! = 15) {
  eventMonitor(heartbeatSeconds: $heartbeat) {
    kind at
    sinceLastTick { eventsReceived eventsProcessed eventsFailed messagesSent }
    sinceSubscribed { eventsReceived eventsProcessed eventsFailed messagesSent }
  }
}
"""


def totals(payload: dict[str, Any]) -> dict[str, int]:
    result: dict[str, int] = payload["data"]["eventMonitor"]["sinceSubscribed"]
    return result


async def post_events(base_url: str, owner: Owner, events: list[dict[str, Any]]) -> dict[str, Any]:
    """POST /rest/v1/events with a store key of ``owner``'s store, as the plugin does."""
    key = await make_store_key(owner)
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        response = await http.post(
            "/rest/v1/events", json={"events": events}, headers={"Authorization": f"Bearer {key}"}
        )
    assert response.status_code == 202, response.text
    body: dict[str, Any] = response.json()
    return body


def orders(prefix: str, count: int) -> list[dict[str, Any]]:
    return [
        order(f"{prefix}-{n}", status="completed", at="2026-11-20T10:00:00+03:30", external_id=f"{prefix}{n}")
        for n in range(count)
    ]


async def test_events_posted_through_rest_appear_as_received_then_as_processed(
    db: None, live_server: RevisitServer, settings: Settings, service_urls: ServiceUrls
) -> None:
    """Three events posted (one of them twice): the monitor counts 3 received (a duplicate is not
    received again), then, once a worker processed them, 3 processed and nothing failed."""
    # given
    owner = await make_owner()
    batch = orders("o", 3)
    params = {"Authorization": f"Bearer {owner.token}"}
    async with GraphQLWsClient.connect(ws_url(live_server.base_url), connection_params=params) as ws:
        await ws.subscribe("m", MONITOR)
        await ws.next_payload("m")  # STARTED: listening
        # when
        answer = await post_events(live_server.base_url, owner, [*batch, batch[0]])
        received = await ws.next_payload("m", where=lambda p: totals(p)["eventsReceived"] == 3)
        await drain_queue(settings, service_urls)
        processed = await ws.next_payload("m", where=lambda p: totals(p)["eventsProcessed"] == 3)
    # then
    assert (answer["accepted"], answer["duplicates"]) == (3, 1)
    assert received["data"]["eventMonitor"]["kind"] == "ACTIVITY"
    assert totals(received)["eventsProcessed"] == 0
    assert totals(processed) == {
        "eventsReceived": 3,
        "eventsProcessed": 3,
        "eventsFailed": 0,
        "messagesSent": 0,
    }
    ticks = [e["payload"]["data"]["eventMonitor"] for e in ws.seen("next", "m")]
    assert sum(t["sinceLastTick"]["eventsReceived"] for t in ticks) == 3


async def test_each_store_sees_only_its_own_events(db: None, live_server: RevisitServer) -> None:
    """Two stores watch at once; events posted for store A show on A's monitor, while B's monitor keeps
    beating with zeros."""
    # given
    store_a, store_b = await make_owner(), await make_owner()
    url = ws_url(live_server.base_url)
    async with (
        GraphQLWsClient.connect(url, connection_params={"token": store_a.token}) as ws_a,
        GraphQLWsClient.connect(url, connection_params={"token": store_b.token}) as ws_b,
    ):
        await ws_a.subscribe("m", MONITOR, {"heartbeat": 1})
        await ws_b.subscribe("m", MONITOR, {"heartbeat": 1})
        await ws_a.next_payload("m")
        await ws_b.next_payload("m")
        # when
        await post_events(live_server.base_url, store_a, orders("a", 2))
        await ws_a.next_payload("m", where=lambda p: totals(p)["eventsReceived"] == 2)
        await ws_b.next_payload("m", where=lambda p: p["data"]["eventMonitor"]["kind"] == "HEARTBEAT")
        await ws_b.next_payload("m", where=lambda p: p["data"]["eventMonitor"]["kind"] == "HEARTBEAT")
    # then
    seen_by_b = [e["payload"]["data"]["eventMonitor"] for e in ws_b.seen("next", "m")]
    assert {tick["kind"] for tick in seen_by_b} == {"STARTED", "HEARTBEAT"}
    assert all(tick["sinceSubscribed"]["eventsReceived"] == 0 for tick in seen_by_b)


async def test_a_subscriber_on_one_api_process_sees_events_posted_through_another(
    db: None, live_server: RevisitServer, service_urls: ServiceUrls, redis: ArqRedis, tmp_path: Path
) -> None:
    """Two API processes behind one Redis: two subscribers on process A (sharing A's one Redis
    subscription) both see the events a plugin posted to process B."""
    # given
    owner = await make_owner()
    url = ws_url(live_server.base_url)
    params = {"Authorization": f"Bearer {owner.token}"}
    with RevisitServer(service_urls, secret_key=TEST_SECRET, log_dir=tmp_path) as process_b:
        process_b.start()
        async with (
            GraphQLWsClient.connect(url, connection_params=params) as first,
            GraphQLWsClient.connect(url, connection_params=params) as second,
        ):
            await first.subscribe("m", MONITOR)
            await second.subscribe("m", MONITOR)
            await first.next_payload("m")
            await second.next_payload("m")
            [(_, subscriptions)] = await redis.pubsub_numsub(monitor_channel(owner.tenant.id))
            # when
            await post_events(process_b.base_url, owner, orders("b", 4))
            # then
            for ws in (first, second):
                await ws.next_payload("m", where=lambda p: totals(p)["eventsReceived"] == 4)
    assert subscriptions == 1
