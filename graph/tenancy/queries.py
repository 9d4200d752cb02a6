"""Tenancy queries: who am I, which store, which keys."""

from __future__ import annotations

import strawberry

from domain.tenancy import service as tenancy
from domain.tenancy.models import Membership as MembershipModel
from domain.tenancy.models import StoreKey as StoreKeyModel
from domain.tenancy.models import User
from graph.core.context import Info
from graph.core.ids import optional_uuid
from graph.core.permissions import Can
from graph.tenancy.types import Membership, StoreKey, Tenant, Viewer


@strawberry.type
class TenancyQuery:
    @strawberry.field(description="The signed-in user and their roles; null for a store key or nobody.")
    async def viewer(self, info: Info) -> Viewer | None:
        principal = info.context.principal
        if principal.kind != "user" or principal.id is None:
            return None
        user = await User.get(id=principal.id)
        memberships = await MembershipModel.filter(user_id=user.id).order_by("created_at")
        return Viewer(
            id=strawberry.ID(str(user.id)),
            email=user.email,
            full_name=user.full_name,
            memberships=[
                Membership(
                    tenant_id=strawberry.ID(str(m.tenant_id)) if m.tenant_id else None,  # type: ignore[attr-defined]
                    role=m.role,
                )
                for m in memberships
            ],
        )

    @strawberry.field(
        description="A store: the one named, else the request's store.",
        permission_classes=[Can("tenant", "read")],
    )
    async def tenant(self, info: Info, tenant_id: strawberry.ID | None = None) -> Tenant:
        tenant = await tenancy.get_tenant(tenant_id=info.context.require_tenant(optional_uuid(tenant_id)))
        return Tenant.from_model(tenant)

    @strawberry.field(
        description="The store's access keys, newest first, revoked ones included.",
        permission_classes=[Can("store_keys", "read")],
    )
    async def store_keys(self, info: Info, tenant_id: strawberry.ID | None = None) -> list[StoreKey]:
        scope = info.context.require_tenant(optional_uuid(tenant_id))
        keys = await StoreKeyModel.filter(tenant_id=scope).order_by("-created_at")
        return [StoreKey.from_model(key) for key in keys]
