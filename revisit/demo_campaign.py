"""The demo store's wallet and its first campaign.

The wallet gets an opening top-up before anything is sent, since Revisit never sends on credit: it pays
for the journeys' messages and reserves the campaign's. The campaign goes to the demo's «loyal but late»
segment with a 15 % code each and a 10 % control group, launched through the same services the API
calls, so the worker sends it (within the store's quiet hours) and its results fill in as it goes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final
from uuid import UUID

from domain.billing import wallet
from domain.billing.owner_settings import set_billing_settings
from domain.campaigns import launch, service
from domain.campaigns.models import Campaign
from domain.coupons.models import CouponTemplate
from domain.segments.models import Segment

OPENING_TOP_UP: Final = 50_000_000
"""Rials (IRR, as every wallet counts): five million toman, enough for the demo's journeys and campaign."""
OPENING_TOP_UP_KEY: Final = "demo:opening-top-up"
OWNER_PHONE: Final = "+989120000000"
LOW_BALANCE_THRESHOLD: Final = 5_000_000
CAMPAIGN_NAME: Final = "کمپین بازگشت وفاداران"
CAMPAIGN_KEY: Final = "demo:loyal-win-back"
CAMPAIGN_TEMPLATE: Final = (
    "{first_name} عزیز، {store} دلتنگ شماست! با کد {coupon_code} {coupon_value} تخفیف بگیرید؛"
    " تا {coupon_expiry} معتبر است."
)


async def fund_wallet(tenant_id: UUID) -> int:
    """Top the wallet up once (the same key every time), name the owner's phone for notices and set a
    low-balance warning; return the balance."""
    key = OPENING_TOP_UP_KEY
    await wallet.top_up(tenant_id, amount=OPENING_TOP_UP, key=key, reference=key)
    await set_billing_settings(
        tenant_id=tenant_id, owner_phone=OWNER_PHONE, low_balance_threshold=LOW_BALANCE_THRESHOLD
    )
    return (await wallet.balance(tenant_id)).balance


async def add_campaign(tenant_id: UUID, *, segment_name: str, coupon_name: str, now: datetime) -> Campaign:
    """Create (once) and launch the demo campaign to ``segment_name`` with codes of ``coupon_name``."""
    segment = await Segment.get(tenant_id=tenant_id, name=segment_name)
    coupon = await CouponTemplate.get(tenant_id=tenant_id, name=coupon_name)
    draft = service.CampaignDraft(
        name=CAMPAIGN_NAME,
        template=CAMPAIGN_TEMPLATE,
        include_segment_ids=(segment.id,),
        incentive="coupon",
        coupon_template_id=coupon.id,
        control_percent=10,
        attribution_days=14,
    )
    campaign = await service.create(tenant_id=tenant_id, draft=draft, client_key=CAMPAIGN_KEY, now=now)
    return await launch.launch(tenant_id=tenant_id, campaign_id=campaign.id, now=now)
