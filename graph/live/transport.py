"""graphql-transport-ws as Revisit serves it: subscriptions only, and refusals that say why.

Queries and mutations go over HTTP, where the body cap, the in-flight limit and per-request loaders
apply; over the websocket they are answered "queries are not allowed". A connection refused at
``connection_init`` (:class:`~graph.live.context.ConnectionRefused`) is closed with its own code and
reason rather than strawberry's bare 4403.
"""

from __future__ import annotations

from typing import Any, cast

from starlette.websockets import WebSocket
from strawberry.schema import BaseSchema
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler
from strawberry.subscriptions.protocols.graphql_transport_ws.types import ConnectionInitMessage

from graph.core.context import TENANT_HEADER, Context
from graph.live.context import ConnectionRefused, LiveContext
from revisit.live import LiveHub


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

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        try:
            await super().handle_connection_init(message)
        except ConnectionRefused as refusal:
            await self.websocket.close(code=refusal.code, reason=refusal.reason)


def live_context(websocket: WebSocket, base: Context) -> LiveContext:
    """The websocket's context: ``base`` (built from the upgrade request) with this process's hub,
    made with the first websocket over the app's Redis and kept on the app's state."""
    state = websocket.app.state
    hub = getattr(state, "live_hub", None)
    if hub is None:
        hub = state.live_hub = LiveHub(state.queue)
    return LiveContext(
        principal=base.principal,
        tenant_id=base.tenant_id,
        queue=base.queue,
        request_id=base.request_id,
        settings=base.settings,
        client_address=base.client_address,
        wakeups=base.wakeups,
        hub=hub,
        upgrade_authorization=websocket.headers.get("authorization"),
        upgrade_tenant=websocket.headers.get(TENANT_HEADER),
    )
