"""The audience snapshot: every customer of the audience once, excluded with the first reason that
applies, the control group drawn deterministically, the rest treated."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

from tortoise.transactions import in_transaction

from domain.campaigns import audience
from domain.campaigns.models import Campaign, CampaignRecipient
from domain.customers.models import Customer
from domain.messaging.models import OutboundMessage, SmsSuppression
from domain.segments import service as segments
from domain.tenancy.models import Tenant
from tests.support.automation import make_customer, make_tenant
from tests.unit.campaigns.campaign_support import make_campaign

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
"""12:30 in Tehran: outside the default quiet hours."""


async def statuses(campaign_id: UUID) -> dict[str, tuple[str, str | None]]:
    rows = await CampaignRecipient.filter(campaign_id=campaign_id).values_list("phone", "status", "reason")
    return {str(phone): (status, reason) for phone, status, reason in rows}


async def take(
    tenant: Tenant, campaign: Campaign | None = None, **fields: object
) -> tuple[audience.Snapshot, UUID]:
    """Snapshot the audience of ``campaign`` (a new one with ``fields`` when None)."""
    campaign = campaign or await make_campaign(tenant, **fields)
    async with in_transaction() as connection:
        taken = await audience.snapshot(connection, tenant=tenant, campaign=campaign, sends_at=NOW)
    return taken, campaign.id


async def test_each_reason_is_recorded_and_counted(db: None) -> None:
    """No phone, a second spelling of a phone already in the audience, an invalid phone, an opt-out,
    a suppressed phone and a customer at the daily cap are each excluded with their reason; the rest
    are treated."""
    # given
    tenant = await make_tenant()
    await make_customer(tenant, phone=None)
    first = await make_customer(tenant, phone="+989120000001")
    await make_customer(tenant, phone="+98 912 000 0001")
    await make_customer(tenant, phone="09120000002")
    await make_customer(tenant, phone="+989120000003", marketing_consent=False)
    await make_customer(tenant, phone="+989120000004")
    await SmsSuppression.create(tenant_id=tenant.id, phone="+989120000004", source="owner", suppressed_at=NOW)
    capped = await make_customer(tenant, phone="+989120000005")
    await OutboundMessage.create(
        tenant_id=tenant.id,
        customer_id=capped.id,
        origin_key="run:1:step:1",
        purpose="marketing",
        phone=capped.phone,
        body="x",
        encoding="UCS-2",
        parts=1,
        status="sent",
        send_after=NOW - timedelta(hours=1),
    )
    # when
    taken, campaign_id = await take(tenant)
    # then
    assert taken.excluded == {
        "no_phone": 1,
        "duplicate_phone": 1,
        "invalid_phone": 1,
        "opted_out": 1,
        "suppressed_number": 1,
        "daily_cap": 1,
    }
    assert (taken.treated, taken.control, taken.excluded_count) == (1, 0, 6)
    recorded = await statuses(campaign_id)
    assert recorded[str(first.phone)] == ("treated", None)
    assert recorded["+98 912 000 0001"] == ("excluded", "duplicate_phone")
    assert recorded["+989120000005"] == ("excluded", "daily_cap")


async def test_an_opt_in_store_leaves_out_customers_who_never_said(db: None) -> None:
    """In an opt-in store a customer whose consent is unknown is excluded as no_consent; one who said
    yes is treated."""
    # given
    tenant = await make_tenant()
    await Tenant.filter(id=tenant.id).update(consent_mode="opt_in")
    tenant = await Tenant.get(id=tenant.id)
    await make_customer(tenant)
    asked = await make_customer(tenant)
    await Customer.filter(id=asked.id).update(consent_source="customer")
    # when
    taken, _ = await take(tenant)
    # then
    assert (taken.treated, taken.excluded) == (1, {"no_consent": 1})


async def test_included_segments_minus_excluded_ones_are_the_audience(db: None) -> None:
    """Members of any included segment who are in no excluded segment; non-members are not recorded."""
    # given
    tenant = await make_tenant()
    people = [await make_customer(tenant) for _ in range(4)]
    vip = await segments.create(tenant_id=tenant.id, name="VIP", definition=None, now=NOW)
    blocked = await segments.create(tenant_id=tenant.id, name="Blocked", definition=None, now=NOW)
    await segments.add_members(
        tenant_id=tenant.id, segment_id=vip.id, customer_ids=[p.id for p in people[:3]], now=NOW
    )
    await segments.add_members(
        tenant_id=tenant.id, segment_id=blocked.id, customer_ids=[people[0].id], now=NOW
    )
    # when
    taken, campaign_id = await take(
        tenant, include_segment_ids=[str(vip.id)], exclude_segment_ids=[str(blocked.id)]
    )
    # then
    assert taken.treated == 2
    recorded = await CampaignRecipient.filter(campaign_id=campaign_id).values_list("customer_id", flat=True)
    assert sorted(recorded) == sorted([people[1].id, people[2].id])


async def test_the_control_group_is_a_deterministic_share_of_the_reachable(db: None) -> None:
    """With 30 % held out of 400 reachable customers, about 120 land in control (a hash of campaign and
    customer), excluded customers are never drawn, and the same campaign draws the same customers."""
    # given
    tenant = await make_tenant()
    for _ in range(400):
        await make_customer(tenant)
    await make_customer(tenant, phone=None)
    # when
    taken, campaign_id = await take(tenant, control_percent=30)
    # then
    assert 80 <= taken.control <= 160 and taken.treated + taken.control == 400
    assert taken.excluded == {"no_phone": 1}
    drawn = set(
        await CampaignRecipient.filter(campaign_id=campaign_id, status="control").values_list(
            "customer_id", flat=True
        )
    )
    await CampaignRecipient.filter(campaign_id=campaign_id).delete()
    await take(tenant, await Campaign.get(id=campaign_id))
    again = set(
        await CampaignRecipient.filter(campaign_id=campaign_id, status="control").values_list(
            "customer_id", flat=True
        )
    )
    assert again == drawn


async def test_three_marketing_sms_in_the_last_days_reach_the_weekly_cap(db: None) -> None:
    """One marketing SMS on each of the three days before (none today): the daily cap has room, the
    weekly cap of 3 does not, so the customer is excluded as weekly_cap; skipped messages take no slot."""
    # given
    tenant = await make_tenant()
    customer = await make_customer(tenant)
    for days, status in ((1, "sent"), (2, "sent"), (3, "sent"), (4, "skipped")):
        await OutboundMessage.create(
            tenant_id=tenant.id,
            customer_id=customer.id,
            origin_key=f"run:{days}:step:1",
            purpose="marketing",
            phone=customer.phone,
            body="x",
            encoding="UCS-2",
            parts=1,
            status=status,
            send_after=NOW - timedelta(days=days),
        )
    # when
    taken, _ = await take(tenant)
    # then
    assert (taken.treated, taken.excluded) == (0, {"weekly_cap": 1})
