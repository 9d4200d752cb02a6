"""The demo store a newcomer opens shows what Revisit does: learnt scores and stages, the built-in
lifecycle segments with members, segments of its own, journeys with customers in them, a coupon, a
funded wallet and a campaign, an active cashback automation."""

from __future__ import annotations

from pathlib import Path

from domain.automation.models import Automation, AutomationRun
from domain.billing import wallet
from domain.billing.models import WalletEntry
from domain.campaigns.models import Campaign
from domain.coupons.models import CouponTemplate
from domain.customers.models import Customer
from domain.intelligence.models import StoreIntelligence
from domain.messaging.models import OutboundMessage
from domain.segments.models import Segment
from revisit.demo import SEGMENTS, ensure_demo_store
from revisit.demo_campaign import CAMPAIGN_NAME, OPENING_TOP_UP
from revisit.demo_journeys import BIRTHDAY_NAME, WINBACK_COUPON, WINBACK_NAME


async def test_the_demo_store_shows_segments_and_stays_as_made_when_opened_again(
    db: None, tmp_path: Path
) -> None:
    # when
    first = await ensure_demo_store(tmp_path)
    again = await ensure_demo_store(tmp_path)
    # then
    assert first.created and not again.created
    assert first.failed_events == 0
    tenant_id = first.tenant_id
    assert await StoreIntelligence.filter(tenant_id=tenant_id).exists()
    segments = await Segment.filter(tenant_id=tenant_id)
    builtins = {segment.builtin_key: segment for segment in segments if segment.kind == "builtin"}
    assert set(builtins) == {"new", "active", "loyal", "vip", "at_risk", "about_to_lose", "churned"}
    assert (
        sum(segment.member_count for key, segment in builtins.items() if key != "vip")
        == await Customer.filter(tenant_id=tenant_id, orders_count__gt=0).count()
    )
    own = {segment.name: segment for segment in segments if segment.kind == "dynamic"}
    assert set(own) == {name for name, _, _ in SEGMENTS}
    assert all(segment.member_count > 0 for segment in own.values()), {
        s.name: s.member_count for s in own.values()
    }


async def test_the_demo_store_has_active_journeys_with_customers_in_them_and_a_coupon_to_give(
    db: None, tmp_path: Path
) -> None:
    """A newcomer sees journeys at work: the win-back and birthday journeys are active, today's
    date triggers have enrolled the lapsed customers once (a second opening enrols nobody again), and
    the win-back's 15 % coupon template is ready."""
    # when
    first = await ensure_demo_store(tmp_path)
    runs_after_first = await AutomationRun.filter(tenant_id=first.tenant_id).count()
    await ensure_demo_store(tmp_path)
    # then
    journeys = {a.name: a for a in await Automation.filter(tenant_id=first.tenant_id)}
    assert {WINBACK_NAME, BIRTHDAY_NAME} <= set(journeys)
    assert all(journeys[name].status == "active" for name in (WINBACK_NAME, BIRTHDAY_NAME))
    winback_runs = await AutomationRun.filter(automation_id=journeys[WINBACK_NAME].id).count()
    assert winback_runs > 0
    assert await AutomationRun.filter(tenant_id=first.tenant_id).count() == runs_after_first
    template = await CouponTemplate.get(tenant_id=first.tenant_id, name=WINBACK_COUPON)
    assert (template.kind, template.valid_days) == ("percent", 7)


async def test_the_demo_store_has_a_funded_wallet_and_a_launched_campaign_with_a_control_group(
    db: None, tmp_path: Path
) -> None:
    """A newcomer sees the money side at work: the wallet holds its opening top-up (once, however often
    the demo opens), the campaign to the «loyal but late» segment is sending with a code for each
    recipient and a control group held back, and its cost is reserved in the wallet."""
    # when
    first = await ensure_demo_store(tmp_path)
    await ensure_demo_store(tmp_path)
    # then
    tenant_id = first.tenant_id
    top_ups = await WalletEntry.filter(tenant_id=tenant_id, kind="top_up")
    assert [entry.amount for entry in top_ups] == [OPENING_TOP_UP]
    campaign = await Campaign.get(tenant_id=tenant_id, name=CAMPAIGN_NAME)
    assert campaign.status == "sending"
    assert campaign.recipients_count > 0 and campaign.control_count >= 0
    messages = await OutboundMessage.filter(tenant_id=tenant_id, campaign_id=campaign.id).count()
    assert messages == campaign.recipients_count
    balance = await wallet.balance(tenant_id)
    assert balance.reserved >= campaign.cost_reserved > 0
