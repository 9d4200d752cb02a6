"""A campaign's moves: pause, resume, cancel, completion and the pauses for funds, with their refusals."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from domain.billing import wallet
from domain.campaigns import lifecycle
from domain.campaigns.models import Campaign
from domain.errors import DomainError
from domain.messaging.models import OutboundMessage
from domain.tenancy.models import Tenant
from tests.support.automation import make_customer, make_tenant
from tests.unit.campaigns.campaign_support import campaign_message, make_campaign, store_with


async def reserved_campaign(tenant: Tenant, *, amount: int = 9_000, **fields: object) -> Campaign:
    """A sending campaign with ``amount`` IRR reserved for it (the store holds 20,000: :func:`store_with`)."""
    campaign = await make_campaign(tenant, status="sending", **fields)
    campaign.reservation_key, campaign.cost_reserved = f"campaign:{campaign.id}", amount
    campaign.launched_at = campaign.created_at
    await campaign.save()
    await wallet.reserve(tenant.id, amount=amount, key=campaign.reservation_key)
    return campaign


async def test_a_paused_campaign_resumes_sending(db: None) -> None:
    """Pause stops a sending campaign (by the owner); resume sends again and clears the reason."""
    # given
    tenant = await make_tenant()
    campaign = await make_campaign(tenant, status="sending", launched_at=datetime.now(UTC))
    # when
    paused = await lifecycle.pause(tenant_id=tenant.id, campaign_id=campaign.id)
    resumed = await lifecycle.resume(tenant_id=tenant.id, campaign_id=campaign.id)
    # then
    assert (paused.status, paused.pause_reason) == ("paused", "owner")
    assert (resumed.status, resumed.pause_reason, resumed.paused_at) == ("sending", None, None)


@pytest.mark.parametrize(
    ("status", "move"),
    [
        ("draft", "pause"),
        ("draft", "resume"),
        ("sending", "resume"),
        ("completed", "pause"),
        ("completed", "cancel"),
        ("cancelled", "resume"),
    ],
)
async def test_moves_a_state_does_not_allow_are_refused_and_change_nothing(
    db: None, status: str, move: str
) -> None:
    """Each state allows only its own moves; any other is INVALID_STATE naming the state, and the
    campaign stays as it was."""
    # given
    tenant = await make_tenant()
    campaign = await make_campaign(tenant, status=status)
    # when
    with pytest.raises(DomainError) as refused:
        await getattr(lifecycle, move)(tenant_id=tenant.id, campaign_id=campaign.id)
    # then
    assert refused.value.code == "INVALID_STATE" and status in refused.value.message
    assert (await Campaign.get(id=campaign.id)).status == status


async def test_cancel_withdraws_the_queued_messages_and_releases_the_reservation(db: None) -> None:
    """Cancelling marks every still-queued message cancelled, leaves the sent ones alone and gives the
    reservation back to the available balance; a second cancel changes nothing."""
    # given
    tenant = await store_with(20_000)
    campaign = await reserved_campaign(tenant)
    queued = await campaign_message(campaign, await make_customer(tenant))
    sent = await campaign_message(campaign, await make_customer(tenant), status="sent")
    # when
    cancelled = await lifecycle.cancel(tenant_id=tenant.id, campaign_id=campaign.id)
    again = await lifecycle.cancel(tenant_id=tenant.id, campaign_id=campaign.id)
    # then
    assert cancelled.status == again.status == "cancelled"
    assert (await OutboundMessage.get(id=queued.id)).status == "cancelled"
    assert (await OutboundMessage.get(id=sent.id)).status == "sent"
    assert await wallet.balance(tenant.id) == wallet.WalletBalance(
        balance=20_000, reserved=0, available=20_000
    )


async def test_concurrent_cancels_cancel_once(db: None) -> None:
    """Ten cancels at once: the campaign row lock lets one move it, the others see it cancelled."""
    # given
    tenant = await store_with(20_000)
    campaign = await reserved_campaign(tenant)
    # when
    results = await asyncio.gather(
        *(lifecycle.cancel(tenant_id=tenant.id, campaign_id=campaign.id) for _ in range(10))
    )
    # then
    assert {result.status for result in results} == {"cancelled"}
    assert (await wallet.balance(tenant.id)).reserved == 0


async def test_complete_if_done_waits_for_the_last_queued_message(db: None) -> None:
    """Not done while a message is queued; done once none is, releasing the reservation; idempotent."""
    # given
    tenant = await store_with(20_000)
    campaign = await reserved_campaign(tenant)
    message = await campaign_message(campaign, await make_customer(tenant))
    # when
    early = await lifecycle.complete_if_done(tenant.id, campaign.id)
    await OutboundMessage.filter(id=message.id).update(status="sent")
    done = await lifecycle.complete_if_done(tenant.id, campaign.id)
    again = await lifecycle.complete_if_done(tenant.id, campaign.id)
    # then
    assert (early, done, again) == (False, True, True)
    stored = await Campaign.get(id=campaign.id)
    assert stored.status == "completed" and stored.finished_at is not None
    assert (await wallet.balance(tenant.id)).reserved == 0


async def test_a_paused_campaign_is_not_completed(db: None) -> None:
    """An owner's pause holds even when nothing is queued: complete_if_done answers False."""
    # given
    tenant = await make_tenant()
    campaign = await make_campaign(tenant, status="paused", pause_reason="owner")
    # when / then
    assert await lifecycle.complete_if_done(tenant.id, campaign.id) is False
    assert (await Campaign.get(id=campaign.id)).status == "paused"


async def test_campaigns_paused_for_funds_resume_and_the_owners_pauses_stay(db: None) -> None:
    """pause_for_funds pauses a sending campaign with insufficient_funds; resume_paused_for_funds sends
    those of the store again, and leaves the owner's pauses and other stores' campaigns alone."""
    # given
    tenant, other = await make_tenant(), await make_tenant(name="Other")
    short = await make_campaign(tenant, status="sending", launched_at=datetime.now(UTC))
    held = await make_campaign(tenant, status="paused", pause_reason="owner", launched_at=datetime.now(UTC))
    elsewhere = await make_campaign(other, status="sending", launched_at=datetime.now(UTC))
    await lifecycle.pause_for_funds(tenant.id, short.id)
    await lifecycle.pause_for_funds(tenant.id, held.id)
    await lifecycle.pause_for_funds(other.id, elsewhere.id)
    paused = await Campaign.get(id=short.id)
    # when
    resumed = await lifecycle.resume_paused_for_funds(tenant.id)
    # then
    assert (paused.status, paused.pause_reason) == ("paused", "insufficient_funds")
    assert resumed == [short.id]
    assert (await Campaign.get(id=short.id)).status == "sending"
    assert (await Campaign.get(id=held.id)).pause_reason == "owner"
    assert (await Campaign.get(id=elsewhere.id)).status == "paused"
