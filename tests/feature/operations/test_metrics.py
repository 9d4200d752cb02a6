"""GET /metrics: HTTP requests by route template and status, events received, and the backlog."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from arq.connections import ArqRedis
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from domain.events.models import IngestedEvent
from tests.support.api import ApiClient
from tests.support.events import order
from tests.support.factories import make_owner, make_store_key

QUOTE = {"customer": {"external_id": "7"}, "cart_total": "1000", "currency": "IRT"}


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def order_event(event_id: str) -> dict[str, Any]:
    return order(event_id, status="completed", at="2026-11-20T10:00:00+03:30")


async def scrape(client: ApiClient, **headers: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    answer = await client.http.get("/metrics", headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain")
    return {
        metric.name: [(s.labels, s.value) for s in metric.samples]
        for metric in text_string_to_metric_families(answer.text)
    }


async def test_requests_are_counted_by_route_template_and_status(client: ApiClient) -> None:
    """A quote (200), an unauthenticated quote (401) and an unknown path (404) are counted under their
    route's template, never the raw path, with a latency observation each."""
    # given
    owner = await make_owner()
    headers = {"Authorization": f"Bearer {await make_store_key(owner)}"}
    route = {"method": "POST", "route": "/rest/v1/credit/quote"}
    before = {
        status: sample("revisit_http_requests_total", **route, status=status) for status in ("200", "401")
    }
    unmatched = sample("revisit_http_requests_total", method="GET", route="unmatched", status="404")
    timed = sample("revisit_http_request_duration_seconds_count", **route)
    # when
    await client.http.post("/rest/v1/credit/quote", json=QUOTE, headers=headers)
    await client.http.post("/rest/v1/credit/quote", json=QUOTE)
    await client.http.get("/no/such/path/8c1e")
    families = await scrape(client)
    # then
    assert sample("revisit_http_requests_total", **route, status="200") == before["200"] + 1
    assert sample("revisit_http_requests_total", **route, status="401") == before["401"] + 1
    assert (
        sample("revisit_http_requests_total", method="GET", route="unmatched", status="404") == unmatched + 1
    )
    assert sample("revisit_http_request_duration_seconds_count", **route) == timed + 2
    routes = {labels["route"] for labels, _ in families["revisit_http_requests"]}
    assert "/no/such/path/8c1e" not in routes


async def test_received_events_are_counted_by_status(client: ApiClient) -> None:
    """A batch with a new event, a repeat and an invalid one adds 1 accepted, 1 duplicate, 1 rejected."""
    # given
    owner = await make_owner()
    headers = {"Authorization": f"Bearer {await make_store_key(owner)}"}
    before = {
        s: sample("revisit_events_received_total", source="api", status=s)
        for s in ("accepted", "duplicate", "rejected")
    }
    # when
    answer = await client.http.post(
        "/rest/v1/events",
        json={"events": [order_event("m-1"), order_event("m-1"), {"id": "bad"}]},
        headers=headers,
    )
    # then
    assert answer.status_code == 202, answer.text
    assert {
        s: sample("revisit_events_received_total", source="api", status=s) - before[s] for s in before
    } == {
        "accepted": 1,
        "duplicate": 1,
        "rejected": 1,
    }


async def test_events_sent_through_graphql_are_counted_once_like_rest(client: ApiClient) -> None:
    """ingestEvents counts its batch under source api too, once: a new event and a repeat add 1 accepted
    and 1 duplicate, whichever way they came in."""
    # given
    owner = await make_owner()
    token = await make_store_key(owner)
    before = {
        s: sample("revisit_events_received_total", source="api", status=s) for s in ("accepted", "duplicate")
    }
    # when
    answer = await client.graphql(
        "mutation($e: [JSON!]!) { ingestEvents(events: $e) { accepted duplicates } }",
        {"e": [order_event("g-1"), order_event("g-1")]},
        token=token,
    )
    # then
    assert answer.ok()["ingestEvents"] == {"accepted": 1, "duplicates": 1}
    assert {
        s: sample("revisit_events_received_total", source="api", status=s) - before[s] for s in before
    } == {
        "accepted": 1,
        "duplicate": 1,
    }


async def test_the_backlog_is_read_at_scrape_time(client: ApiClient, redis: ArqRedis) -> None:
    """Pending events and the age of the oldest come from PostgreSQL, the queue depth from Redis."""
    # given
    owner = await make_owner()
    headers = {"Authorization": f"Bearer {await make_store_key(owner)}"}
    await client.http.post(
        "/rest/v1/events", json={"events": [order_event("b-1"), order_event("b-2")]}, headers=headers
    )
    await IngestedEvent.filter(event_id="b-1").update(received_at=datetime.now(UTC) - timedelta(minutes=10))
    depth = await redis.zcard("revisit:queue")
    # when
    families = await scrape(client)
    # then
    assert families["revisit_events_pending"] == [({}, 2.0)]
    [(_, age)] = families["revisit_events_pending_oldest_age_seconds"]
    assert 600 <= age < 3600
    assert families["revisit_queue_depth"] == [({}, float(depth))]
    assert depth >= 1
