"""Factories that build data through the same services the product uses."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from domain.tenancy import service as tenancy
from domain.tenancy.models import Tenant, User
from domain.tenancy.security import issue_access_token

TEST_SECRET = "test-secret-" + "x" * 40
PASSWORD = "correct horse battery"
_counter = itertools.count(1)


@dataclass
class Owner:
    user: User
    tenant: Tenant
    token: str

    @property
    def tenant_id(self) -> str:
        return str(self.tenant.id)


async def make_owner(
    *,
    store: str | None = None,
    currency: str = "IRT",
    locale: str = "fa",
    timezone: str = "Asia/Tehran",
    country: str | None = None,
) -> Owner:
    """A registered owner with their store and a valid access token (signed with the test secret)."""
    number = next(_counter)
    user, tenant = await tenancy.register_owner(
        email=f"owner{number}@example.ir",
        password=PASSWORD,
        full_name=f"Owner {number}",
        tenant_in=tenancy.TenantIn(
            name=store or f"Store {number}",
            currency=currency,
            locale=locale,
            timezone=timezone,
            country=country,
        ),
    )
    return Owner(user=user, tenant=tenant, token=issue_access_token(user.id, secret=TEST_SECRET, minutes=30))


async def make_store_key(owner: Owner, name: str = "plugin") -> str:
    _, token = await tenancy.create_store_key(tenant_id=owner.tenant.id, name=name)
    return token
