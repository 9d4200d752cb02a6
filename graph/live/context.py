"""A websocket connection's context, and how it is authenticated at ``connection_init``.

Browsers cannot set headers on a websocket, so a client sends its token in ``connectionParams``, the
payload of graphql-transport-ws's ``connection_init``: ``{"Authorization": "Bearer <token>"}``,
``{"authorization": …}`` or ``{"token": "<token>"}`` (an access token or a store key). Without one, the
upgrade request's ``Authorization`` header counts. The store is chosen as for HTTP: ``X-Revisit-Tenant``
(or ``tenantId``) in ``connectionParams``, else the upgrade's ``X-Revisit-Tenant`` header, else the
principal's only store — and each subscription may still name one with its ``tenantId`` argument.

A connection without a valid token is closed at ``connection_init`` with 4401 (graphql-ws's
Unauthorized, which its client does not retry) and a reason saying what to send; malformed
``connectionParams`` with 4400. Permissions are checked per subscription, as per query.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from graph.core.context import Context, default_tenant, principal_from_authorization
from graph.core.dataloaders import DataLoaders
from revisit.live import LiveHub

TOKEN_PARAMS = ("Authorization", "authorization", "token")
TENANT_PARAMS = ("X-Revisit-Tenant", "x-revisit-tenant", "tenantId")
MAX_PARAM_CHARS = 4096
"""Longer than any token or store id Revisit issues; anything longer is refused unread."""

UNAUTHORIZED = 4401
BAD_REQUEST = 4400


class ConnectionRefused(Exception):
    """Close the websocket with ``code`` and ``reason`` (at most 123 bytes, as a close frame allows)."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


@dataclass
class LiveContext(Context):
    """A websocket connection's context: the HTTP one, plus what ``connection_init`` brought and this
    process's :class:`~revisit.live.LiveHub`. Subscriptions read ``hub``; strawberry fills
    ``connection_params``."""

    hub: LiveHub | None = None
    upgrade_authorization: str | None = None
    upgrade_tenant: str | None = None
    connection_params: dict[str, Any] | None = field(default=None)

    def live_hub(self) -> LiveHub:
        if self.hub is None:  # only a websocket built by the view has one
            raise RuntimeError("this context has no live hub")
        return self.hub


def _text_param(params: Mapping[str, Any], names: tuple[str, ...]) -> tuple[str, str] | None:
    """The first of ``names`` present in ``params``, as (name, stripped text); refused unless it is
    printable text of reasonable length."""
    for name in names:
        if name not in params or params[name] is None:
            continue
        value = params[name]
        if (
            not isinstance(value, str)
            or not value.strip()
            or len(value) > MAX_PARAM_CHARS
            or not value.isprintable()
        ):
            reason = f"Bad request: connectionParams.{name} must be printable text of at most 4096 chars"
            raise ConnectionRefused(BAD_REQUEST, reason)
        return name, value.strip()
    return None


def _bearer(value: str) -> str:
    return value if value.lower().startswith("bearer ") else f"Bearer {value}"


async def authenticate(context: LiveContext) -> None:
    """Authenticate the connection from its ``connectionParams`` (else its upgrade headers) and choose
    its store; raise :class:`ConnectionRefused` when it cannot be."""
    params = context.connection_params or {}
    token = _text_param(params, TOKEN_PARAMS)
    authorization = _bearer(token[1]) if token else context.upgrade_authorization
    if not authorization:
        raise ConnectionRefused(
            UNAUTHORIZED, 'Unauthorized: send connectionParams {"Authorization": "Bearer <token>"}'
        )
    principal = await principal_from_authorization(
        authorization, secret=context.settings.resolved_secret_key()
    )
    if not principal.is_authenticated:
        raise ConnectionRefused(UNAUTHORIZED, "Unauthorized: the token is invalid, expired or revoked")
    tenant = _text_param(params, TENANT_PARAMS)
    context.principal = principal
    context.tenant_id = default_tenant(principal, tenant[1] if tenant else context.upgrade_tenant)
    context.loaders = DataLoaders.for_request(principal)
