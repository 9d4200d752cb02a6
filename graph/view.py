"""The GraphQL endpoint (HTTP and graphql-transport-ws, GraphiQL in browsers) and its context builder."""

from __future__ import annotations

import uuid
from typing import Any

import structlog
from starlette.requests import HTTPConnection
from strawberry.asgi import GraphQL
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from graph.core.context import TENANT_HEADER, Context, default_tenant, principal_from_authorization
from graph.graphiql import graphiql_response


async def build_context(connection: HTTPConnection) -> Context:
    """Authenticate the caller from the Authorization header and pick the tenant the request works in."""
    settings = connection.app.state.settings
    principal = await principal_from_authorization(
        connection.headers.get("authorization"), secret=settings.resolved_secret_key()
    )
    tenant_id = default_tenant(principal, connection.headers.get(TENANT_HEADER))
    structlog.contextvars.bind_contextvars(
        principal=principal.subject, tenant_id=str(tenant_id) if tenant_id else None
    )
    return Context(
        principal=principal,
        tenant_id=tenant_id,
        queue=getattr(connection.app.state, "queue", None),
        request_id=connection.scope.get("state", {}).get("request_id") or uuid.uuid4().hex,
        settings=settings,
        client_address=connection.client.host if connection.client else None,
    )


class RevisitGraphQL(GraphQL[Context, None]):
    def __init__(self, schema: Any) -> None:
        super().__init__(
            schema, graphql_ide="graphiql", subscription_protocols=[GRAPHQL_TRANSPORT_WS_PROTOCOL]
        )

    async def get_context(self, request: Any, response: Any) -> Context:
        return await build_context(request)

    async def render_graphql_ide(self, request: Any) -> Any:
        """GraphiQL from our own assets (graph/graphiql.py), not strawberry's CDN-loaded page."""
        return graphiql_response()
