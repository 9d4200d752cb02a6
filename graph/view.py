"""The GraphQL endpoint (HTTP and graphql-transport-ws, GraphiQL in browsers) and its context builder.

Before strawberry sees a request, the body is read up to ``settings.graphql_max_body_bytes`` (413 past
it, chunked bodies included; a multipart request, which uploads a file, up to
:data:`MAX_UPLOAD_BODY_BYTES`); JSON is parsed at most :data:`graph.core.inputs.MAX_JSON_DEPTH` deep (400
``TOO_DEEP``). Every refusal at this level is a GraphQL-shaped JSON answer,
``{"errors": [{"message": …, "extensions": {"code": …}}]}``, never plain text.
"""

from __future__ import annotations

import uuid
from http import HTTPStatus
from typing import Any

import structlog
from cross_web import HTTPException
from starlette.requests import HTTPConnection, Request
from starlette.responses import JSONResponse, Response
from starlette.types import Message, Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types.unset import UNSET, UnsetType

from domain.imports.table import MAX_FILE_BYTES
from graph.core.context import (
    TENANT_HEADER,
    Context,
    NoWakeups,
    default_tenant,
    principal_from_authorization,
)
from graph.core.inputs import JsonRejected, load_json, read_capped
from graph.graphiql import graphiql_response
from graph.live.context import LiveContext, authenticate
from graph.live.transport import LiveTransportHandler, live_context

DEFAULT_MAX_BODY_BYTES = 5 * 1024 * 1024
MAX_UPLOAD_BODY_BYTES = MAX_FILE_BYTES + 1024 * 1024
"""A multipart request (an imported file) may carry the largest file an import takes, and its envelope."""
_STATUS_NAMES = {status.value: status.name for status in HTTPStatus}


async def build_context(connection: HTTPConnection) -> Context:
    """Authenticate the caller from the Authorization header and pick the tenant the request works in.

    The request gets its own loaders; the app's ``state.wakeups`` (set by the composition root) is how it
    tells the worker about events it stored.
    """
    state = connection.app.state
    settings = state.settings
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
        queue=getattr(state, "queue", None),
        request_id=connection.scope.get("state", {}).get("request_id") or uuid.uuid4().hex,
        settings=settings,
        client_address=connection.client.host if connection.client else None,
        wakeups=getattr(state, "wakeups", None) or NoWakeups(),
    )


def graphql_problem(status: int, code: str, message: str) -> JSONResponse:
    """A refusal before execution, shaped as a GraphQL response so every client can read it."""
    return JSONResponse({"errors": [{"message": message, "extensions": {"code": code}}]}, status_code=status)


def _replaying(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands over ``body`` (already read) once, then whatever the client sends next."""
    delivered = False

    async def replay() -> Message:
        nonlocal delivered
        if delivered:
            return await receive()
        delivered = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


def _is_multipart(scope: Scope) -> bool:
    return "multipart/form-data" in Request(scope).headers.get("content-type", "")


def _is_json(scope: Scope) -> bool:
    return scope["method"] == "POST" and "application/json" in Request(scope).headers.get("content-type", "")


class RevisitGraphQL(GraphQL[Context, None]):
    graphql_transport_ws_handler_class = LiveTransportHandler

    def __init__(self, schema: Any) -> None:
        # File uploads (GraphQL multipart requests) are safe from cross-site forms: a form cannot send the
        # Authorization header every mutation needs.
        super().__init__(
            schema,
            graphql_ide="graphiql",
            subscription_protocols=[GRAPHQL_TRANSPORT_WS_PROTOCOL],
            multipart_uploads_enabled=True,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        response = await self._answer(scope, receive)
        await response(scope, receive, send)

    async def _answer(self, scope: Scope, receive: Receive) -> Response:
        settings = getattr(scope["app"].state, "settings", None)
        limit = getattr(settings, "graphql_max_body_bytes", DEFAULT_MAX_BODY_BYTES)
        if _is_multipart(scope):
            limit = max(limit, MAX_UPLOAD_BODY_BYTES)
        body = await read_capped(Request(scope, receive), limit=limit)
        if body is None:
            return graphql_problem(413, "TOO_LARGE", f"The body may be at most {limit} bytes.")
        if _is_json(scope) and body.lstrip()[:1] not in (b"{", b"["):
            # strawberry reads fields of the body; a bare string or number has none to read.
            return graphql_problem(400, "INVALID_JSON", "The body must be a JSON object (or a list of them).")
        try:
            return await self.run(Request(scope, _replaying(body, receive)))
        except HTTPException as exc:
            if isinstance(exc.__cause__, JsonRejected):
                return graphql_problem(400, exc.__cause__.code, exc.__cause__.reason)
            code = _STATUS_NAMES.get(exc.status_code, "BAD_REQUEST")
            return graphql_problem(exc.status_code, code, exc.reason)

    def decode_json(self, data: str | bytes) -> object:
        """Strict JSON at most 64 levels deep (a ``JSONDecodeError`` otherwise, as strawberry expects)."""
        return load_json(data)

    async def get_context(self, request: Any, response: Any) -> Context:
        if isinstance(request, WebSocket):
            return live_context(request, await build_context(request))
        return await build_context(request)

    async def on_ws_connect(self, context: Context) -> UnsetType:
        """``connection_init``: authenticate the websocket from its ``connectionParams`` (graph.live)."""
        if isinstance(context, LiveContext):
            await authenticate(context)
        return UNSET

    async def render_graphql_ide(self, request: Any) -> Any:
        """GraphiQL from our own assets (graph/graphiql.py), not strawberry's CDN-loaded page."""
        return graphiql_response()
