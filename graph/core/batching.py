"""What every batch function shares: one ``id__in`` query per tenant, answers in the order of the keys.

A key is ``(tenant id, object id)``, so a loader can never hand one store's row to another store's
request: the tenant is part of both the question and the SQL. A request works in one tenant, so a batch
is one statement; keys of several tenants (a field's explicit ``tenantId``) cost one statement each.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar
from uuid import UUID

from tortoise.models import Model

M = TypeVar("M", bound=Model)
TenantKey = tuple[UUID, Any]
"""(tenant id, the object's key within the tenant)."""


def by_tenant(keys: Iterable[TenantKey]) -> dict[UUID, list[Any]]:
    """The keys' object ids grouped by tenant, each once."""
    grouped: dict[UUID, list[Any]] = defaultdict(list)
    for tenant_id, key in dict.fromkeys(keys):
        grouped[tenant_id].append(key)
    return grouped


async def rows_by_key(model: type[M], keys: Sequence[TenantKey]) -> list[M | None]:
    """``model`` rows by ``(tenant_id, id)``: the row for each key, or None where the tenant has none."""
    found: dict[TenantKey, M] = {}
    for tenant_id, ids in by_tenant(keys).items():
        for row in await model.filter(tenant_id=tenant_id, id__in=ids):
            found[(tenant_id, row.pk)] = row
    return [found.get(key) for key in keys]


async def children_by_key(
    model: type[M], keys: Sequence[TenantKey], *, parent: str, order_by: str = "id"
) -> list[list[M]]:
    """``model`` rows whose ``parent`` column is each key's id, within the key's tenant, in ``order_by``."""
    found: dict[TenantKey, list[M]] = defaultdict(list)
    for tenant_id, ids in by_tenant(keys).items():
        rows = await model.filter(tenant_id=tenant_id, **{f"{parent}__in": ids}).order_by(order_by)
        for row in rows:
            found[(tenant_id, getattr(row, parent))].append(row)
    return [found.get(key, []) for key in keys]
