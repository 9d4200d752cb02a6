"""Declared permissions: ``permission_classes=[Can("customers", "read")]`` on a field or mutation.

The one place that asks Casbin. The target tenant is the field's ``tenantId`` argument when given, else
the request's tenant; for fields of an object that carries ``tenant_scope`` it is that object's tenant.
"""

from __future__ import annotations

from functools import cache
from typing import Any
from uuid import UUID

from strawberry.exceptions import StrawberryGraphQLError
from strawberry.permission import BasePermission
from strawberry.types import Info

from permissions.enforcer import is_allowed
from permissions.principal import Principal


class IsAuthenticated(BasePermission):
    message = "Sign in first: send Authorization: Bearer <access token or store key>."
    error_extensions = {"code": "UNAUTHENTICATED"}  # noqa: RUF012

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return bool(info.context.principal.is_authenticated)


class _Can(BasePermission):
    obj: str
    action: str
    message = "Not allowed: this account or key holds no such permission in this store."
    error_extensions = {"code": "FORBIDDEN"}  # noqa: RUF012

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        context = info.context
        refusal = refusal_of(
            context.principal, _target_tenant(source, kwargs, context.tenant_id), self.obj, self.action
        )
        if refusal is None:
            return True
        if refusal == "FORBIDDEN":
            return False
        raise StrawberryGraphQLError(REFUSALS[refusal], extensions={"code": refusal})


REFUSALS: dict[str, str] = {
    "UNAUTHENTICATED": IsAuthenticated.message,
    "TENANT_REQUIRED": "Say which store: pass tenantId or the X-Revisit-Tenant header.",
    "FORBIDDEN": _Can.message,
}
"""What each refusal of :func:`refusal_of` tells the caller."""


def refusal_of(principal: Principal, tenant_id: UUID | None, obj: str, action: str) -> str | None:
    """Why ``principal`` may not do ``action`` on ``obj`` in the store, or None when it may: the one
    place that asks Casbin, for declared permissions and for the REST routes that skip GraphQL."""
    if not principal.is_authenticated:
        return "UNAUTHENTICATED"
    if tenant_id is None and not principal.roles_in(None):
        return "TENANT_REQUIRED"
    return None if is_allowed(principal, tenant_id, obj, action) else "FORBIDDEN"


@cache
def Can(obj: str, action: str) -> type[BasePermission]:
    """A permission class allowing ``action`` on ``obj`` to principals whose roles grant it."""
    return type(f"Can_{obj}_{action}", (_Can,), {"obj": obj, "action": action})


def _target_tenant(source: Any, kwargs: dict[str, Any], request_tenant: UUID | None) -> UUID | None:
    scope = getattr(source, "tenant_scope", None)
    if scope is not None:
        return UUID(str(scope))
    argument = kwargs.get("tenant_id")
    if argument is not None:
        try:
            return UUID(str(argument))
        except ValueError:
            return None
    return request_tenant
