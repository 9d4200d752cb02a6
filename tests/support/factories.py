"""Factories that build data through the same services the product uses."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from uuid import UUID

from domain.billing import wallet
from domain.tenancy import service as tenancy
from domain.tenancy.models import Tenant, User
from domain.tenancy.security import issue_access_token

TEST_SECRET = "test-secret-" + "x" * 40
PASSWORD = "correct horse battery"
_counter = itertools.count(1)
TEST_FUNDS = 1_000_000_000
"""What a test store's wallet holds unless the test is about billing (IRR): enough for any test's SMS."""
TEST_FUNDS_KEY = "test:funds"


async def fund(tenant_id: UUID, *, amount: int = TEST_FUNDS) -> None:
    """Top the store's wallet up through the real wallet, once (key ``test:funds``), so it can send."""
    await wallet.top_up(tenant_id, amount=amount, key=TEST_FUNDS_KEY, reference="test:factory")


async def fund_every_store() -> None:
    """Fund every store not funded yet: for stores a test signed up through the API."""
    for tenant_id in await Tenant.all().values_list("id", flat=True):
        await fund(UUID(str(tenant_id)))


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
    funded: bool = True,
) -> Owner:
    """A registered owner with their store and a valid access token (signed with the test secret); the
    store's wallet holds :data:`TEST_FUNDS` unless ``funded`` is False (billing tests start empty)."""
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
    if funded:
        await fund(tenant.id)
    return Owner(user=user, tenant=tenant, token=issue_access_token(user.id, secret=TEST_SECRET, minutes=30))


async def make_store_key(owner: Owner, name: str = "plugin") -> str:
    _, token = await tenancy.create_store_key(tenant_id=owner.tenant.id, name=name)
    return token
