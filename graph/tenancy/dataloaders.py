"""Batch functions of the tenancy context: stores by id."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from domain.tenancy.models import Tenant


async def load_tenants(keys: Sequence[UUID]) -> list[Tenant | None]:
    """Stores by id; a store is its own tenant, so the key is the scope."""
    found = {tenant.id: tenant for tenant in await Tenant.filter(id__in=list(dict.fromkeys(keys)))}
    return [found.get(key) for key in keys]
