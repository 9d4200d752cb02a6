"""Builders for campaign tests: campaigns and their messages written as launch would leave them."""

from __future__ import annotations

import itertools
from typing import Any
from uuid import UUID

from domain.billing import wallet
from domain.campaigns.models import Campaign
from domain.customers.models import Customer
from domain.messaging.models import OutboundMessage
from domain.tenancy import service as tenancy
from domain.tenancy.models import Tenant

_numbers = itertools.count(1)


async def store_with(funds: int = 0) -> Tenant:
    """A Tehran store (IRT, fa) whose wallet holds exactly ``funds`` IRR, for tests about paying."""
    tenant = await tenancy.create_tenant(
        tenant_in=tenancy.TenantIn(name="Ketab", currency="IRT", locale="fa")
    )
    if funds:
        await wallet.top_up(tenant.id, amount=funds, key=f"funds:{tenant.id}", reference="test:campaigns")
    return tenant


async def make_campaign(tenant: Tenant, **fields: Any) -> Campaign:
    """A draft campaign of ``tenant`` with a short marketing template, ``fields`` overriding."""
    values: dict[str, Any] = {"name": f"Campaign {next(_numbers)}", "template": "{first_name}، تخفیف ویژه"}
    return await Campaign.create(tenant_id=tenant.id, **(values | fields))


async def campaign_message(
    campaign: Campaign, customer: Customer, *, status: str = "queued", **fields: Any
) -> OutboundMessage:
    """The campaign's message to ``customer`` as launch queues it, in ``status``."""
    tenant_id: UUID = campaign.tenant_id  # type: ignore[attr-defined]
    return await OutboundMessage.create(
        tenant_id=tenant_id,
        customer_id=customer.id,
        campaign_id=campaign.id,
        origin_key=f"campaign:{campaign.id}:{customer.id}",
        purpose="marketing",
        phone=customer.phone,
        body="سلام\nلغو۱۱",
        encoding="UCS-2",
        parts=1,
        status=status,
        **fields,
    )
