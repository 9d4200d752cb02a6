"""GraphQL types of the tenancy context: stores, users, memberships and store keys."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from domain.tenancy import models
from graph.core.context import Info
from graph.core.ids import to_uuid
from permissions.enforcer import is_allowed


@strawberry.federation.type(keys=["id"], description="A store connected to Revisit.")
class Tenant:
    id: strawberry.ID
    name: str
    platform: str
    currency: str = strawberry.field(description="ISO 4217 code; IRT is the Iranian toman (10 IRR).")
    timezone: str
    locale: str
    calendar: str
    country: str = strawberry.field(
        description="ISO 3166-1 alpha-2: the region of phone numbers written without a country code."
    )
    created_at: datetime

    @property
    def tenant_scope(self) -> str:
        return str(self.id)

    @classmethod
    def from_model(cls, tenant: models.Tenant) -> Tenant:
        return cls(
            id=strawberry.ID(str(tenant.id)),
            name=tenant.name,
            platform=tenant.platform,
            currency=tenant.currency,
            timezone=tenant.timezone,
            locale=tenant.locale,
            calendar=tenant.calendar,
            country=tenant.country,
            created_at=tenant.created_at,
        )

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Tenant | None:
        """A gateway's reference to a store, answered only to principals that may read it."""
        tenant_id = to_uuid(id, what="Store")
        if not is_allowed(info.context.principal, tenant_id, "tenant", "read"):
            return None
        tenant = await info.context.loaders.tenants.load(tenant_id)
        return cls.from_model(tenant) if tenant else None


@strawberry.type(description="A role a user holds, in one store or platform-wide.")
class Membership:
    tenant_id: strawberry.ID | None
    role: str


@strawberry.type(description="The signed-in user.")
class Viewer:
    id: strawberry.ID
    email: str
    full_name: str
    memberships: list[Membership]


@strawberry.type(description="An access key a store connects with. The secret is never shown again.")
class StoreKey:
    id: strawberry.ID
    name: str
    prefix: str = strawberry.field(description="The key's public part, to recognise it: rvk_<prefix>_…")
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def from_model(cls, key: models.StoreKey) -> StoreKey:
        return cls(
            id=strawberry.ID(str(key.id)),
            name=key.name,
            prefix=key.public_id,
            created_at=key.created_at,
            last_used_at=key.last_used_at,
            revoked_at=key.revoked_at,
        )


@strawberry.enum
class AccountErrorCode(Enum):
    INVALID = "INVALID"
    EMAIL_TAKEN = "EMAIL_TAKEN"
    WEAK_PASSWORD = "WEAK_PASSWORD"
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    RATE_LIMITED = "RATE_LIMITED"


@strawberry.type
class AccountError:
    code: AccountErrorCode
    field: str | None
    message: str


@strawberry.enum
class StoreKeyErrorCode(Enum):
    INVALID = "INVALID"
    NOT_FOUND = "NOT_FOUND"
    REVOKED = "REVOKED"
    TENANT_REQUIRED = "TENANT_REQUIRED"


@strawberry.type
class StoreKeyError:
    code: StoreKeyErrorCode
    field: str | None
    message: str


@strawberry.type
class StoreKeyPayload:
    store_key: StoreKey | None = None
    token: str | None = strawberry.field(
        default=None, description="The whole key, to paste into the plugin. Shown this once only."
    )
    errors: list[StoreKeyError] = strawberry.field(default_factory=list)
