"""The API's Prometheus metrics and ``GET /metrics``.

* :class:`HttpMetrics` counts every HTTP request by method, route template (``/rest/v1/credit/quote``,
  never a raw path, so a client cannot mint new series) and status, and times it. A request whose client
  left before its answer is counted with status 499.
* The backlog is read when Prometheus scrapes: pending events and the age of the oldest (PostgreSQL,
  the pending rows only, through the partial index ``ingested_events_pending_line``) and the arq queue's
  depth (Redis).
* Events received are counted where the API stores a batch (``graph.core.metrics``).

The worker is another process with its own counters; it serves them on its own port (see
``revisit.worker.serve_metrics``). ``REVISIT_METRICS_TOKEN``, when set, is the bearer token a scraper
must send here.
"""

from __future__ import annotations

import hmac
import logging
import math
import time
from datetime import UTC, datetime
from typing import Final

from arq.connections import ArqRedis
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Gauge, Histogram, generate_latest
from prometheus_client import Counter as PrometheusCounter
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from tortoise.functions import Count, Min

from domain.events.models import IngestedEvent
from jobs.queue import QUEUE_NAME

logger = logging.getLogger(__name__)

UNMATCHED: Final = "unmatched"
"""The route label of a request no route matched (a 404), whatever its path."""
CLIENT_LEFT: Final = 499
LATENCY_BUCKETS: Final = (0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)

REQUESTS = PrometheusCounter(
    "revisit_http_requests",
    "HTTP requests answered, by method, route template and status.",
    ["method", "route", "status"],
)
LATENCY = Histogram(
    "revisit_http_request_duration_seconds",
    "Time from a request's arrival to the end of its answer, by method and route template.",
    ["method", "route"],
    buckets=LATENCY_BUCKETS,
)
IN_FLIGHT = Gauge(
    "revisit_http_requests_in_flight", "HTTP requests being answered now, refused ones included."
)
PENDING_EVENTS = Gauge("revisit_events_pending", "Received events not yet processed (read at scrape time).")
PENDING_AGE = Gauge(
    "revisit_events_pending_oldest_age_seconds",
    "How long the oldest pending event has waited since it was received; 0 when none waits.",
)
QUEUE_DEPTH = Gauge("revisit_queue_depth", "Jobs waiting in the arq queue in Redis (read at scrape time).")


class HttpMetrics:
    """Counts and times HTTP requests by the template of the route they match."""

    def __init__(self, app: ASGIApp, *, routes: list[BaseRoute]) -> None:
        self.app = app
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 0

        async def noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        IN_FLIGHT.inc()
        try:
            await self.app(scope, receive, noting_status)
        finally:
            IN_FLIGHT.dec()
            if scope.get("state", {}).get("client_left") and not status:
                status = CLIENT_LEFT
            route = self.template(scope)
            REQUESTS.labels(method=scope["method"], route=route, status=str(status or 500)).inc()
            LATENCY.labels(method=scope["method"], route=route).observe(time.perf_counter() - started)

    def template(self, scope: Scope) -> str:
        """The path template of the route the request matches (by path, whatever the method)."""
        for route in self.routes:
            match, _ = route.matches(scope)
            if match != Match.NONE:
                return str(getattr(route, "path", UNMATCHED))
        return UNMATCHED


async def metrics_endpoint(request: Request) -> Response:
    """``GET /metrics``: the Prometheus text format, after reading the backlog."""
    token = request.app.state.settings.metrics_token
    if token and not _bearer_matches(request.headers.get("authorization", ""), token):
        return JSONResponse(
            {"error": {"code": "UNAUTHENTICATED", "message": "Send Authorization: Bearer <metrics token>."}},
            status_code=401,
            headers={"WWW-Authenticate": "Bearer"},
        )
    await read_backlog(request.app.state.queue)
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)


async def read_backlog(queue: ArqRedis) -> None:
    """Set the pending-event and queue gauges from PostgreSQL and Redis; NaN for what cannot be read."""
    try:
        rows = (
            await IngestedEvent.filter(status="pending")
            .annotate(waiting=Count("id"), oldest=Min("received_at"))
            .values("waiting", "oldest")
        )
        row = rows[0] if rows else {}
        oldest: datetime | None = row.get("oldest")
        PENDING_EVENTS.set(int(row.get("waiting") or 0))
        PENDING_AGE.set(max((datetime.now(UTC) - oldest).total_seconds(), 0) if oldest else 0)
    except Exception:  # a scrape still answers the HTTP figures when the database does not
        logger.exception("pending events not read for /metrics")
        PENDING_EVENTS.set(math.nan)
        PENDING_AGE.set(math.nan)
    try:
        QUEUE_DEPTH.set(await queue.zcard(QUEUE_NAME))
    except Exception:
        logger.exception("queue depth not read for /metrics")
        QUEUE_DEPTH.set(math.nan)


def _bearer_matches(header: str, token: str) -> bool:
    scheme, _, given = header.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())
