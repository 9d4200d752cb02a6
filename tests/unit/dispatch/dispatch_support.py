"""Launched campaigns for dispatch tests: customers, a topped-up wallet, and the real launch."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from domain.billing import wallet
from domain.billing.models import WalletEntry
from domain.campaigns import launch, service
from domain.campaigns.models import Campaign
from domain.messaging.accounts import ProviderDirectory, Route
from domain.messaging.models import OutboundMessage
from domain.messaging.providers import SmsProvider
from domain.tenancy.models import Tenant
from tests.support.commerce import make_customers
from tests.support.factories import make_owner

LINE = "10008663"
PART_PRICE = 1500
"""The settings' SMS part price (REVISIT_SMS_PART_PRICE's default), in IRR."""


@dataclass
class Launched:
    tenant: Tenant
    campaign: Campaign


async def launched_campaign(
    *, recipients: int, top_up: int | None = None, quiet: bool = False, template: str = "{first_name}، تخفیف"
) -> Launched:
    """A store (no quiet hours unless ``quiet``, opt-out consent) with ``recipients`` customers and a
    campaign to all of them, launched now; the wallet topped up with ``top_up`` IRR (default: enough)."""
    owner = await make_owner()
    tenant = owner.tenant
    tenant.consent_mode = "opt_out"
    tenant.marketing_daily_cap = tenant.marketing_weekly_cap = None
    if not quiet:
        tenant.quiet_hours_start = tenant.quiet_hours_end = 0
    await tenant.save()
    await make_customers(tenant.id, recipients)
    amount = top_up if top_up is not None else max(recipients, 1) * PART_PRICE * 2
    await wallet.top_up(tenant.id, amount=amount, key=f"test-top-up:{tenant.id}", reference="test")
    now = datetime.now(UTC)
    draft = await service.create(
        tenant_id=tenant.id, draft=service.CampaignDraft(name="Spring", template=template), now=now
    )
    campaign = await launch.launch(tenant_id=tenant.id, campaign_id=draft.id, now=now)
    return Launched(tenant, campaign)


def directory(provider: SmsProvider) -> ProviderDirectory:
    """The platform's line through ``provider``, no store accounts."""

    def no_accounts(name: str, api_key: str) -> SmsProvider:
        raise AssertionError("no store accounts in these tests")

    return ProviderDirectory(
        platform=provider, platform_sender=LINE, factory=no_accounts, encryption_key=b"\0" * 32
    )


def route(provider: SmsProvider) -> Route:
    return Route(provider, LINE, None)


async def statuses(campaign_id: UUID) -> dict[str, int]:
    """How many of the campaign's messages are in each status."""
    counts: dict[str, int] = {}
    for status in await OutboundMessage.filter(campaign_id=campaign_id).values_list("status", flat=True):
        counts[str(status)] = counts.get(str(status), 0) + 1
    return counts


async def charged(tenant_id: UUID) -> int:
    """IRR the wallet charged for SMS, net of refunds."""
    total = 0
    for kind, amount in await WalletEntry.filter(
        tenant_id=tenant_id, kind__in=["charge", "refund"]
    ).values_list("kind", "amount"):
        total += int(amount) if kind == "charge" else -int(amount)
    return total
