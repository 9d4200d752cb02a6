"""A test send: the campaign's message, as a customer would read it, to the owner's own phone first.

The message is rendered for a sample customer — the store's first customer's name and balance, and
plausible values for the incentive (:func:`domain.messaging.templates.sample_facts`, with the coupon
template's real value and the campaign's real credit) — and queued through
:func:`domain.messaging.service.queue_to_phone`: no consent or cap applies, quiet hours do. Sending
the same text to the same phone again answers with the first message; an edited template sends again.
"""

from __future__ import annotations

from datetime import datetime
from hashlib import sha256
from uuid import UUID

from domain.campaigns import service
from domain.campaigns.models import Campaign
from domain.coupons.issuing import value_text
from domain.customers.models import Customer
from domain.customers.phones import normalise_phone
from domain.errors import DomainError
from domain.incentives.models import CreditAccount
from domain.messaging import policy, templates
from domain.messaging.formatting import render_template
from domain.messaging.models import OutboundMessage
from domain.messaging.service import queue_to_phone
from domain.tenancy.models import Tenant
from domain.tenancy.service import get_tenant


async def send_test(
    *, tenant_id: UUID, campaign_id: UUID, phone: str | None, now: datetime
) -> OutboundMessage:
    """Queue the campaign's message to ``phone`` (any form the store's country reads, e.g. 0912…) or,
    when None, to the owner's phone. ``NO_PHONE`` when neither is there, ``INVALID_PHONE`` for a phone
    that cannot be read, and the campaign's own checks as when it is saved."""
    tenant = await get_tenant(tenant_id=tenant_id, field="tenantId")
    campaign = await service.get(tenant_id=tenant_id, campaign_id=campaign_id)
    if phone is not None:
        if len(phone) > 32 or "\x00" in phone:
            raise DomainError("INVALID_PHONE", "That is not a phone number.", field="phone")
        target = normalise_phone(phone, tenant.country)
        if target is None:
            raise DomainError("INVALID_PHONE", "That is not a phone number.", field="phone")
    else:
        target = tenant.owner_phone
        if not target:
            raise DomainError(
                "NO_PHONE", "Give a phone, or set the owner's phone in the store's settings.", field="phone"
            )
    await service.validated(tenant_id=tenant_id, draft=service.draft_of(campaign), now=now)
    body = render_template(campaign.template, await _sample_values(tenant, campaign, now))
    digest = sha256(body.encode()).hexdigest()[:16]
    return await queue_to_phone(
        tenant=tenant,
        phone=target,
        origin_key=f"campaign-test:{campaign.id}:{target}:{digest}",
        purpose=policy.MARKETING,
        body=body,
        now=now,
    )


async def _sample_values(tenant: Tenant, campaign: Campaign, now: datetime) -> dict[str, str]:
    """The store's first customer's name and balance, sample incentive values (real coupon value)."""
    tenant_id = tenant.id
    sample = templates.sample_facts(tenant, now=now)
    customer = await Customer.filter(tenant_id=tenant_id).order_by("created_at", "id").first()
    balance = sample.balance
    first_name = sample.first_name
    if customer is not None:
        first_name = customer.first_name or first_name
        account = await CreditAccount.get_or_none(tenant_id=tenant_id, customer_id=customer.id)
        balance = account.available if account is not None else 0
    values = templates.variables(
        templates.MessageFacts(
            first_name=first_name,
            balance=balance,
            credit=campaign.credit_amount,
            coupon_code=sample.coupon_code,
            coupon_expiry=sample.coupon_expiry,
        ),
        tenant,
    )
    if campaign.coupon_template_id is not None:
        template = await service.coupon_template(tenant_id, campaign.coupon_template_id, now)
        values["coupon_value"] = value_text(template, tenant)
    return values
