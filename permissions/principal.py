"""Who is asking: a user with roles per tenant, a store key bound to one tenant, or nobody."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal
from uuid import UUID

PLATFORM = "*"


@dataclass(frozen=True)
class Principal:
    """The authenticated caller. ``roles`` maps a tenant id (or ``"*"`` for platform-wide) to role names."""

    kind: Literal["user", "store_key", "anonymous"]
    id: UUID | None = None
    roles: dict[str, frozenset[str]] = field(default_factory=dict)

    @property
    def is_authenticated(self) -> bool:
        return self.kind != "anonymous"

    @property
    def subject(self) -> str:
        return f"{self.kind}:{self.id}" if self.id else "anonymous"

    def roles_in(self, tenant_id: UUID | None) -> frozenset[str]:
        """Roles that apply inside ``tenant_id``: that tenant's plus the platform-wide ones."""
        platform = self.roles.get(PLATFORM, frozenset())
        if tenant_id is None:
            return platform
        return platform | self.roles.get(str(tenant_id), frozenset())

    def tenant_ids(self) -> list[UUID]:
        """Tenants the principal holds a role in (platform-wide roles excluded)."""
        return [UUID(key) for key in self.roles if key != PLATFORM]


ANONYMOUS = Principal(kind="anonymous")
