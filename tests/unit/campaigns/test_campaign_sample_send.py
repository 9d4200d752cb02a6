"""Test sends: the campaign's message to the owner's phone or a phone given, once per text and phone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.campaigns.sample_send import send_test
from domain.errors import DomainError
from domain.tenancy.models import Tenant
from tests.support.automation import make_customer, make_tenant
from tests.support.coupons import make_template
from tests.unit.campaigns.campaign_support import make_campaign

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


async def test_a_test_send_goes_to_the_owners_phone_with_a_sample_customer(db: None) -> None:
    """Without a phone it goes to the owner's; the store's first customer's name and the coupon
    template's real value fill the template; the footer is there; a repeat is the same message."""
    # given
    tenant = await make_tenant()
    await Tenant.filter(id=tenant.id).update(owner_phone="+989121111111")
    await make_customer(tenant, first_name="مریم")
    template = await make_template(tenant, value=20)
    campaign = await make_campaign(
        tenant,
        template="{first_name}، {coupon_value} با {coupon_code}",
        incentive="coupon",
        coupon_template_id=template.id,
    )
    # when
    message = await send_test(tenant_id=tenant.id, campaign_id=campaign.id, phone=None, now=NOW)
    again = await send_test(tenant_id=tenant.id, campaign_id=campaign.id, phone=None, now=NOW)
    # then
    assert (message.phone, message.status, message.customer_id) == ("+989121111111", "queued", None)  # type: ignore[attr-defined]
    assert message.body == "مریم، ۲۰٪ با WELCOME15\nلغو۱۱"
    assert again.id == message.id


async def test_a_phone_given_is_read_in_the_stores_country(db: None) -> None:
    """0912… in an Iranian store is +98912…; a phone that cannot be read is INVALID_PHONE."""
    # given
    tenant = await make_tenant()
    campaign = await make_campaign(tenant)
    # when
    message = await send_test(tenant_id=tenant.id, campaign_id=campaign.id, phone="09122222222", now=NOW)
    with pytest.raises(DomainError) as refused:
        await send_test(tenant_id=tenant.id, campaign_id=campaign.id, phone="call me", now=NOW)
    # then
    assert message.phone == "+989122222222"
    assert (refused.value.code, refused.value.field) == ("INVALID_PHONE", "phone")


async def test_without_any_phone_the_test_send_is_refused(db: None) -> None:
    """No phone given and no owner's phone set: NO_PHONE."""
    # given
    tenant = await make_tenant()
    campaign = await make_campaign(tenant)
    # when / then
    with pytest.raises(DomainError) as refused:
        await send_test(tenant_id=tenant.id, campaign_id=campaign.id, phone=None, now=NOW)
    assert refused.value.code == "NO_PHONE"
