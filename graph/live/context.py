"""A websocket connection's context, and how it is authenticated at ``connection_init``.

Browsers cannot set headers on a websocket, so a client sends its token in ``connectionParams``, the
payload of graphql-transport-ws's ``connection_init``: ``{"Authorization": "Bearer <token>"}``,
``{"authorization": …}`` or ``{"token": "<token>"}`` (an access token or a store key). Without one, the
upgrade request's ``Authorization`` header counts. The store is chosen as for HTTP: ``X-Revisit-Tenant``
(or ``tenantId``) in ``connectionParams``, else the upgrade's ``X-Revisit-Tenant`` header, else the
principal's only store — and each subscription may still name one with its ``tenantId`` argument.

A connection without a valid token is closed at ``connection_init`` with 4401 (graphql-ws's
Unauthorized, which its client does not retry) and a reason saying what to send; malformed
``connectionParams`` with 4400. Permissions are checked per subscription, as per query. An open
connection's credential is checked again when an access token expires and every
:data:`RECHECK_SECONDS` (a store key revoked, a member removed): the connection is then closed with 4401.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import OctKey

from graph.core.context import Context, default_tenant, principal_from_authorization
from graph.core.dataloaders import DataLoaders
from revisit.live import LiveHub

TOKEN_PARAMS = ("Authorization", "authorization", "token")
TENANT_PARAMS = ("X-Revisit-Tenant", "x-revisit-tenant", "tenantId")
MAX_PARAM_CHARS = 4096
"""Longer than any token or store id Revisit issues; anything longer is refused unread."""

UNAUTHORIZED = 4401
BAD_REQUEST = 4400
RECHECK_SECONDS = 60.0
"""How often an open connection's credential is checked again (and at an access token's expiry)."""
EXPIRED = "Unauthorized: the token expired or was revoked; connect again with a new one"


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
    authorization: str | None = None  # the credential the connection was authenticated with
    expires_at: datetime | None = None  # when that credential stops being valid, for an access token

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
    context.authorization = authorization
    context.expires_at = _expiry(authorization[7:].strip(), context.settings.resolved_secret_key())


async def still_valid(context: LiveContext) -> bool:
    """Whether the connection's credential still authenticates (not expired, not revoked)."""
    principal = await principal_from_authorization(
        context.authorization, secret=context.settings.resolved_secret_key()
    )
    return principal.is_authenticated


def seconds_to_next_check(context: LiveContext, now: datetime) -> float:
    """Until the credential's next check: :data:`RECHECK_SECONDS`, or just past the token's expiry."""
    if context.expires_at is None:
        return RECHECK_SECONDS
    # exp is whole seconds, checked as "not before now": a second's margin lands past it.
    return max(0.0, min(RECHECK_SECONDS, (context.expires_at - now).total_seconds() + 1.0))


def _expiry(token: str, secret: str) -> datetime | None:
    """An access token's expiry (its signature checked again); None for a store key, which lasts until
    it is revoked."""
    try:
        claims = jwt.decode(token, OctKey.import_key(secret), algorithms=["HS256"]).claims
        return datetime.fromtimestamp(int(claims["exp"]), UTC)
    except (JoseError, ValueError, KeyError, TypeError):
        return None
