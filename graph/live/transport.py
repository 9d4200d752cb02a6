"""graphql-transport-ws as Revisit serves it: subscriptions only, and refusals that say why.

Subscriptions go over the websocket only: over HTTP (plain or multipart) one is refused
``WEBSOCKET_REQUIRED`` before it runs (:class:`SubscriptionsOverWebsocket`). Queries and mutations go
over HTTP, where the body cap, the in-flight limit and per-request loaders apply; over the websocket
they are answered "queries are not allowed". A connection refused at
``connection_init`` (:class:`~graph.live.context.ConnectionRefused`) is closed with its own code and
reason rather than strawberry's bare 4403; an acknowledged one is closed with 4401 once its credential
no longer authenticates (checked at an access token's expiry and every minute).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator
from dataclasses import fields
from datetime import UTC, datetime
from typing import Any, cast

from graphql import GraphQLError
from starlette.websockets import WebSocket
from strawberry.extensions import SchemaExtension
from strawberry.schema import BaseSchema
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler
from strawberry.subscriptions.protocols.graphql_transport_ws.types import ConnectionInitMessage
from strawberry.types.graphql import OperationType

from graph.core.context import TENANT_HEADER, Context
from graph.live.context import (
    EXPIRED,
    UNAUTHORIZED,
    ConnectionRefused,
    LiveContext,
    seconds_to_next_check,
    still_valid,
)
from revisit.live import LiveHub

logger = logging.getLogger(__name__)


class SubscriptionsOverWebsocket(SchemaExtension):
    """Refuses a subscription that did not come over the websocket, before it runs."""

    def on_execute(self) -> Iterator[None]:
        execution = self.execution_context
        if execution.operation_type is OperationType.SUBSCRIPTION and not isinstance(
            execution.context, LiveContext
        ):
            raise GraphQLError(
                "Subscriptions run over the websocket at /graphql (graphql-transport-ws), not over HTTP.",
                extensions={"code": "WEBSOCKET_REQUIRED"},
            )
        yield


class _SubscriptionsOnly:
    """The schema as the websocket sees it: its ``stream`` runs subscriptions and refuses the rest."""

    def __init__(self, schema: Any) -> None:
        self._schema = schema

    async def stream(self, query: str | None, **kwargs: Any) -> Any:
        return await self._schema.subscribe(query, **kwargs)


class LiveTransportHandler(BaseGraphQLTransportWSHandler[Context, None]):
    def __init__(self, *, schema: Any, **kwargs: Any) -> None:
        # The handler calls only the schema's ``stream``, which _SubscriptionsOnly provides.
        super().__init__(schema=cast("BaseSchema", _SubscriptionsOnly(schema)), **kwargs)
        self._watchdog: asyncio.Task[None] | None = None

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        try:
            await super().handle_connection_init(message)
        except ConnectionRefused as refusal:
            await self.websocket.close(code=refusal.code, reason=refusal.reason)
            return
        if self.connection_acknowledged and self._watchdog is None and isinstance(self.context, LiveContext):
            self._watchdog = asyncio.create_task(self._watch_credential(self.context))

    async def shutdown(self) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watchdog
        await super().shutdown()

    async def _watch_credential(self, context: LiveContext) -> None:
        while True:
            await asyncio.sleep(seconds_to_next_check(context, datetime.now(UTC)))
            try:
                valid = await still_valid(context)
            except Exception as exc:  # the database did not answer: look again at the next check
                logger.warning("live connection's credential not checked: %s", exc)
                continue
            if not valid:
                await self.websocket.close(code=UNAUTHORIZED, reason=EXPIRED)
                return


def live_context(websocket: WebSocket, base: Context) -> LiveContext:
    """The websocket's context: ``base`` (built from the upgrade request) with this process's hub,
    made with the first websocket over the app's Redis and kept on the app's state."""
    state = websocket.app.state
    hub = getattr(state, "live_hub", None)
    if hub is None:
        hub = state.live_hub = LiveHub(state.queue)
    return LiveContext(
        **{item.name: getattr(base, item.name) for item in fields(Context) if item.init},
        hub=hub,
        upgrade_authorization=websocket.headers.get("authorization"),
        upgrade_tenant=websocket.headers.get(TENANT_HEADER),
    )
