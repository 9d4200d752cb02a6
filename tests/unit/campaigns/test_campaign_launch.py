"""Launch: the snapshot, the incentives, the queued messages and the wallet reservation, at once and
once — or, when the wallet cannot pay, nothing at all."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from domain.billing import wallet
from domain.billing.errors import InsufficientFunds
from domain.campaigns import launch
from domain.campaigns.models import Campaign, CampaignRecipient
from domain.coupons.models import Coupon
from domain.errors import DomainError
from domain.incentives.models import CreditEntry
from domain.messaging.models import OutboundMessage
from domain.messaging.pricing import part_price
from domain.tenancy.models import Tenant
from tests.support.automation import make_customer, make_tenant
from tests.support.coupons import make_template
from tests.unit.campaigns.campaign_support import make_campaign, store_with

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
"""12:30 in Tehran: outside the default quiet hours."""


async def funded(amount: int = 1_000_000) -> Tenant:
    """A store whose wallet holds exactly ``amount``."""
    return await store_with(amount)


async def test_launch_queues_one_message_per_treated_recipient_and_reserves_their_cost(db: None) -> None:
    """Each treated recipient gets a queued marketing message with the campaign's origin, the footer
    and its part count; the reservation is the parts times the part price; the snapshot counts are kept."""
    # given
    tenant = await funded()
    people = [await make_customer(tenant, first_name=name) for name in ("سارا", "علی")]
    await make_customer(tenant, phone=None)
    campaign = await make_campaign(tenant, template="{first_name} عزیز، حراج {store}")
    # when
    launched = await launch.launch(tenant_id=tenant.id, campaign_id=campaign.id, now=NOW)
    # then
    messages = await OutboundMessage.filter(campaign_id=campaign.id).order_by("phone")
    assert [m.origin_key for m in messages] == [f"campaign:{campaign.id}:{p.id}" for p in people]
    assert messages[0].body == "سارا عزیز، حراج Ketab\nلغو۱۱"
    assert {(m.status, m.purpose, m.encoding, m.parts) for m in messages} == {
        ("queued", "marketing", "UCS-2", 1)
    }
    assert (launched.status, launched.recipients_count, launched.excluded_count) == ("sending", 2, 1)
    assert launched.exclusions == {"no_phone": 1}
    assert launched.reservation_key == f"campaign:{campaign.id}"
    assert launched.cost_reserved == 2 * part_price()
    assert (await wallet.balance(tenant.id)).reserved == 2 * part_price()
    linked = await CampaignRecipient.filter(campaign_id=campaign.id, status="treated").values_list(
        "message_id", flat=True
    )
    assert sorted(linked) == sorted(m.id for m in messages)


async def test_a_wallet_that_cannot_pay_refuses_the_launch_and_nothing_changes(db: None) -> None:
    """INSUFFICIENT_FUNDS with what was needed; no recipient, message or code is left and the campaign
    is still a draft."""
    # given
    tenant = await funded(amount=part_price())
    for _ in range(2):
        await make_customer(tenant)
    template = await make_template(tenant)
    campaign = await make_campaign(
        tenant, template="کد شما {coupon_code}", incentive="coupon", coupon_template_id=template.id
    )
    # when
    with pytest.raises(InsufficientFunds) as refused:
        await launch.launch(tenant_id=tenant.id, campaign_id=campaign.id, now=NOW)
    # then
    assert refused.value.code == "INSUFFICIENT_FUNDS" and refused.value.needed == 2 * part_price()
    assert (await Campaign.get(id=campaign.id)).status == "draft"
    assert await CampaignRecipient.filter(campaign_id=campaign.id).count() == 0
    assert await OutboundMessage.filter(campaign_id=campaign.id).count() == 0
    assert await Coupon.filter(tenant_id=tenant.id).count() == 0
    assert (await wallet.balance(tenant.id)).reserved == 0


async def test_launching_twice_or_at_once_launches_once(db: None) -> None:
    """A repeated launch and five concurrent ones leave one message per recipient and one reservation."""
    # given
    tenant = await funded()
    for _ in range(3):
        await make_customer(tenant)
    campaign = await make_campaign(tenant)
    # when
    results = await asyncio.gather(
        *(launch.launch(tenant_id=tenant.id, campaign_id=campaign.id, now=NOW) for _ in range(5)),
        return_exceptions=True,
    )
    again = await launch.launch(tenant_id=tenant.id, campaign_id=campaign.id, now=NOW)
    # then
    assert all(isinstance(result, Campaign) for result in results)
    assert again.status == "sending"
    assert await OutboundMessage.filter(campaign_id=campaign.id).count() == 3
    assert (await wallet.balance(tenant.id)).reserved == 3 * part_price()


async def test_each_treated_recipient_gets_a_code_of_their_own_in_their_message(db: None) -> None:
    """A coupon incentive issues one code per treated recipient (none to the control group), written
    into that recipient's message and recorded on their recipient row."""
    # given
    tenant = await funded()
    for _ in range(6):
        await make_customer(tenant)
    template = await make_template(tenant, valid_days=10)
    campaign = await make_campaign(
        tenant,
        template="{coupon_value} با کد {coupon_code} تا {coupon_expiry}",
        incentive="coupon",
        coupon_template_id=template.id,
    )
    # when
    await launch.launch(tenant_id=tenant.id, campaign_id=campaign.id, now=NOW)
    # then
    recipients = await CampaignRecipient.filter(campaign_id=campaign.id, status="treated")
    coupons = {c.origin_key: c for c in await Coupon.filter(tenant_id=tenant.id)}
    assert len(coupons) == len(recipients) == 6
    for recipient in recipients:
        coupon = coupons[f"campaign:{campaign.id}:{recipient.customer_id}"]
        message = await OutboundMessage.get(id=recipient.message_id)
        assert coupon.customer_id == recipient.customer_id  # type: ignore[attr-defined]
        assert message.body.startswith(f"۱۵٪ با کد {coupon.code} تا ")


async def test_a_credit_incentive_grants_expiring_credit_and_says_so(db: None) -> None:
    """Credit per treated recipient, once per (campaign, customer), expiring after its days, named in
    the message with the balance it makes."""
    # given
    tenant = await funded()
    customer = await make_customer(tenant)
    campaign = await make_campaign(
        tenant,
        template="{credit} هدیه؛ موجودی {balance}",
        incentive="credit",
        credit_amount=50_000,
        credit_valid_days=14,
    )
    # when
    await launch.launch(tenant_id=tenant.id, campaign_id=campaign.id, now=NOW)
    # then
    [entry] = await CreditEntry.filter(tenant_id=tenant.id, customer_id=customer.id)
    assert (entry.amount, entry.idempotency_key) == (50_000, f"campaign:{campaign.id}:{customer.id}")
    assert entry.expires_at == NOW + timedelta(days=14)
    message = await OutboundMessage.get(campaign_id=campaign.id)
    assert message.body.startswith("۵۰٬۰۰۰ تومان هدیه؛ موجودی ۵۰٬۰۰۰ تومان")
    assert (await CampaignRecipient.get(campaign_id=campaign.id)).credit_amount == 50_000


async def test_a_launch_in_quiet_hours_waits_for_them_to_end(db: None) -> None:
    """Launched at 23:30 Tehran time, the messages are due at 08:00 the next morning."""
    # given
    tenant = await funded()
    await make_customer(tenant)
    campaign = await make_campaign(tenant)
    late = datetime(2026, 11, 22, 20, 0, tzinfo=UTC)  # 23:30 in Tehran
    # when
    await launch.launch(tenant_id=tenant.id, campaign_id=campaign.id, now=late)
    # then
    message = await OutboundMessage.get(campaign_id=campaign.id)
    assert message.send_after == datetime(2026, 11, 23, 4, 30, tzinfo=UTC)
    assert message.policy_reason == "quiet_hours"


async def test_a_cancelled_campaign_cannot_launch(db: None) -> None:
    """INVALID_STATE, and no recipient is written."""
    # given
    tenant = await funded()
    await make_customer(tenant)
    campaign = await make_campaign(tenant, status="cancelled")
    # when / then
    with pytest.raises(DomainError) as refused:
        await launch.launch(tenant_id=tenant.id, campaign_id=campaign.id, now=NOW)
    assert refused.value.code == "INVALID_STATE"
    assert await CampaignRecipient.filter(campaign_id=campaign.id).count() == 0


async def test_a_schedule_is_read_in_the_stores_zone_and_must_be_in_the_future(db: None) -> None:
    """A wall time without offset is Tehran time; a past moment is refused with the field named."""
    # given
    tenant = await make_tenant()
    campaign = await make_campaign(tenant)
    # when
    with pytest.raises(DomainError) as past:
        await launch.schedule(
            tenant_id=tenant.id, campaign_id=campaign.id, at=datetime(2026, 11, 1, 10), now=NOW
        )
    scheduled = await launch.schedule(
        tenant_id=tenant.id, campaign_id=campaign.id, at=datetime(2026, 11, 23, 10, 0), now=NOW
    )
    # then
    assert (past.value.code, past.value.field) == ("INVALID", "scheduledAt")
    assert scheduled.status == "scheduled"
    assert scheduled.scheduled_at == datetime(2026, 11, 23, 6, 30, tzinfo=UTC)


async def test_a_campaign_with_its_own_window_waits_for_it(db: None) -> None:
    """Launched at 12:30 Tehran time with a window of 18:00–21:00: the messages are due at 18:00."""
    # given
    tenant = await funded()
    await make_customer(tenant)
    campaign = await make_campaign(tenant, window_start=18 * 60, window_end=21 * 60)
    # when
    await launch.launch(tenant_id=tenant.id, campaign_id=campaign.id, now=NOW)
    # then
    message = await OutboundMessage.get(campaign_id=campaign.id)
    assert message.send_after == datetime(2026, 11, 22, 14, 30, tzinfo=UTC)
    assert message.policy_reason is None
