"""The ASGI application: GraphQL, REST-compat, health checks, wired to the database, Redis and Casbin."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from arq import create_pool
from arq.connections import RedisSettings
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route, WebSocketRoute
from tortoise import Tortoise

from graph.graphiql import graphiql_asset_routes
from graph.rest.routes import rest_routes
from graph.schema import build_schema
from graph.view import RevisitGraphQL
from jobs.queue import QUEUE_NAME
from permissions.enforcer import load_enforcer
from revisit import database
from revisit.metrics import HttpMetrics, metrics_endpoint
from revisit.middleware import HTTP_ERROR_HANDLERS, RequestContext
from revisit.overload import InFlightLimit, StopWhenClientLeaves
from revisit.services import ServiceUrls
from revisit.settings import Settings
from revisit.wakeups import QueueWakeups


async def healthz(request: Request) -> JSONResponse:
    """Liveness: the process answers."""
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> JSONResponse:
    """Readiness: PostgreSQL and Redis both answer."""
    checks: dict[str, str] = {}
    try:
        await Tortoise.get_connection("default").execute_query("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:  # any failure means "not ready", whatever its kind
        checks["database"] = f"error: {type(exc).__name__}"
    try:
        await request.app.state.queue.ping()
        checks["redis"] = "ok"
    except Exception as exc:
        checks["redis"] = f"error: {type(exc).__name__}"
    ready = all(value == "ok" for value in checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "not ready", **checks}, status_code=200 if ready else 503
    )


def create_app(settings: Settings, urls: ServiceUrls, *, manage_database: bool = True) -> Starlette:
    """Assemble the app. With ``manage_database`` false the caller has already opened the ORM (tests)."""
    schema = build_schema(
        max_depth=settings.graphql_max_depth,
        max_aliases=settings.graphql_max_aliases,
        max_tokens=settings.graphql_max_tokens,
        introspection=settings.graphql_introspection,
        max_introspection_depth=settings.graphql_max_introspection_depth,
    )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if manage_database:
            await database.init(urls.database_url)
        await load_enforcer()
        app.state.queue = await create_pool(
            RedisSettings.from_dsn(urls.redis_url), default_queue_name=QUEUE_NAME
        )
        app.state.wakeups = QueueWakeups(app.state.queue)
        try:
            yield
        finally:
            await app.state.queue.aclose()
            if manage_database:
                await database.close()

    graphql = RevisitGraphQL(schema)
    routes: list[BaseRoute] = [
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/graphql", graphql, methods=["GET", "POST"]),
        WebSocketRoute("/graphql", graphql),
        *graphiql_asset_routes(),
        *rest_routes(schema),
    ]
    routes.append(Route("/metrics", metrics_endpoint, methods=["GET"]))
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(RequestContext),
            Middleware(HttpMetrics, routes=routes),
            Middleware(
                InFlightLimit,
                limit=settings.max_requests_in_flight,
                wait_seconds=settings.admission_wait_seconds,
            ),
            Middleware(StopWhenClientLeaves),
        ],
        exception_handlers=HTTP_ERROR_HANDLERS,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.schema = schema
    return app
