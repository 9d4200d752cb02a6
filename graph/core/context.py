"""The per-request context every resolver sees: who asks, for which tenant, and the request's loaders."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol
from uuid import UUID

from arq.connections import ArqRedis
from strawberry.types import Info as StrawberryInfo

from domain.errors import DomainError
from domain.tenancy import service as tenancy
from domain.tenancy.security import read_access_token
from graph.core.dataloaders import DataLoaders
from permissions.principal import ANONYMOUS, Principal

TENANT_HEADER = "x-revisit-tenant"


class Wakeups(Protocol):
    """Tells whoever processes events that there is work. The API only stores; the composition root
    (``revisit.wakeups``) decides how the worker hears of it."""

    async def events_received(self, tenant_id: UUID) -> None:
        """A tenant has new (or replayed) events waiting to be processed."""

    async def campaign_ready(self, tenant_id: UUID) -> None:
        """A store's campaign was launched or resumed: its messages wait for dispatch."""

    async def funds_added(self, tenant_id: UUID) -> None:
        """A store's wallet was topped up: what waited for funds (held journeys and messages, campaigns
        paused for funds) may go on."""


class NoWakeups:
    """Wakes nobody: for a context with no worker behind it. Nothing is lost by it, only delayed — the
    worker's reconciler finds pending events that no wake-up announced."""

    async def events_received(self, tenant_id: UUID) -> None:
        return None

    async def campaign_ready(self, tenant_id: UUID) -> None:
        return None

    async def funds_added(self, tenant_id: UUID) -> None:
        return None


@dataclass
class Context:
    """What a resolver may rely on. ``tenant_id`` is the tenant the request works in, when one applies.

    ``loaders`` are this request's own (:class:`graph.core.dataloaders.DataLoaders`), built for its
    principal.
    """

    principal: Principal
    tenant_id: UUID | None
    queue: ArqRedis | None
    request_id: str
    settings: Any
    client_address: str | None = None  # as the ASGI server reports it (behind a proxy: forwarded-allow-ips)
    wakeups: Wakeups = field(default_factory=NoWakeups)
    loaders: DataLoaders = field(init=False)

    def __post_init__(self) -> None:
        self.loaders = DataLoaders.for_request(self.principal)

    def require_tenant(self, tenant_id: UUID | None = None) -> UUID:
        """The tenant to work in: an explicit one (checked by the caller's permission) or the request's."""
        chosen = tenant_id or self.tenant_id
        if chosen is None:
            raise DomainError(
                "TENANT_REQUIRED",
                "Say which store: pass tenantId or the X-Revisit-Tenant header.",
                field="tenantId",
            )
        return chosen


Info = StrawberryInfo[Context, None]


async def principal_from_authorization(header: str | None, *, secret: str) -> Principal:
    """Resolve ``Authorization: Bearer …`` to a principal: a user token or a store key."""
    if not header or not header.lower().startswith("bearer "):
        return ANONYMOUS
    token = header[7:].strip()
    if token.startswith("rvk_"):
        key = await tenancy.authenticate_store_key(token=token)
        if key is None:
            return ANONYMOUS
        return Principal(kind="store_key", id=key.id, roles={str(key.tenant_id): frozenset({"store"})})
    user_id = read_access_token(token, secret=secret)
    if user_id is None:
        return ANONYMOUS
    return Principal(kind="user", id=user_id, roles=await tenancy.roles_of_user(user_id=user_id))


def default_tenant(principal: Principal, header_value: str | None) -> UUID | None:
    """The tenant named by the header, else the principal's only tenant, else none."""
    if header_value:
        try:
            return UUID(header_value)
        except ValueError:
            return None
    tenants = principal.tenant_ids()
    return tenants[0] if len(tenants) == 1 else None
