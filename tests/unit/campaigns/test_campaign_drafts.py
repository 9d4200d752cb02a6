"""Saving campaigns: every rule checked with the field named, client keys that make create idempotent,
and drafts the only campaigns that change or go."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest

from domain.campaigns import service
from domain.campaigns.models import Campaign
from domain.campaigns.service import CampaignDraft
from domain.errors import DomainError
from domain.segments import service as segments
from tests.support.automation import make_tenant
from tests.support.coupons import make_template
from tests.unit.campaigns.campaign_support import make_campaign

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
DRAFT = CampaignDraft(name="حراج پاییز", template="{first_name}، ۲۰٪ تخفیف در {store}")


async def test_a_draft_is_saved_with_its_settings(db: None) -> None:
    """Name trimmed, window as local minutes, segments as given."""
    # given
    tenant = await make_tenant()
    vip = await segments.create(tenant_id=tenant.id, name="VIP", definition=None, now=NOW)
    draft = replace(
        DRAFT, name="  حراج  ", include_segment_ids=[vip.id], window_start="10:00", window_end="20:30"
    )
    # when
    campaign = await service.create(tenant_id=tenant.id, draft=draft, now=NOW)
    # then
    assert (campaign.name, campaign.status, campaign.window_start, campaign.window_end) == (
        "حراج",
        "draft",
        600,
        1230,
    )
    assert campaign.include_segment_ids == [str(vip.id)]
    assert service.draft_of(campaign).window_end == "20:30"


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"name": ""}, "INVALID", "name"),
        ({"name": "a" * 121}, "INVALID", "name"),
        ({"name": "bad\x00name"}, "INVALID", "name"),
        ({"template": ""}, "EMPTY_MESSAGE", "template"),
        ({"template": "x" * 10_000}, "INVALID", "template"),
        ({"template": "hi\x00"}, "INVALID", "template"),
        ({"template": "{nope}"}, "UNKNOWN_VARIABLE", "template"),
        ({"template": "{coupon_code}"}, "UNKNOWN_VARIABLE", "template"),
        ({"template": "{link}"}, "UNKNOWN_VARIABLE", "template"),
        ({"template": "{ broken"}, "INVALID_TEMPLATE", "template"),
        ({"control_percent": 51}, "INVALID", "controlPercent"),
        ({"control_percent": -1}, "INVALID", "controlPercent"),
        ({"attribution_days": 0}, "INVALID", "attributionDays"),
        ({"attribution_days": 91}, "INVALID", "attributionDays"),
        ({"incentive": "cash"}, "INVALID", "incentive"),
        ({"incentive": "coupon"}, "INVALID", "couponTemplateId"),
        ({"incentive": "coupon", "coupon_template_id": uuid4()}, "NOT_FOUND", "couponTemplateId"),
        ({"incentive": "credit"}, "INVALID_AMOUNT", "creditAmount"),
        ({"incentive": "credit", "credit_amount": 0}, "INVALID_AMOUNT", "creditAmount"),
        ({"incentive": "credit", "credit_amount": 10**11}, "INVALID_AMOUNT", "creditAmount"),
        ({"incentive": "credit", "credit_amount": 10, "credit_valid_days": 0}, "INVALID", "creditValidDays"),
        ({"window_start": "10:00"}, "INVALID", "windowStart"),
        ({"window_start": "25:00", "window_end": "10:00"}, "INVALID", "windowStart"),
        ({"window_start": "10:00", "window_end": "10:00"}, "INVALID", "windowEnd"),
        ({"include_segment_ids": [uuid4()]}, "NOT_FOUND", "includeSegmentIds"),
        ({"exclude_segment_ids": [uuid4()]}, "NOT_FOUND", "excludeSegmentIds"),
    ],
)
async def test_a_broken_rule_is_refused_with_its_field_and_saves_nothing(
    db: None, changes: dict[str, Any], code: str, field: str
) -> None:
    """Each limit refuses the campaign with a typed error naming the field; no row is written."""
    # given
    tenant = await make_tenant()
    # when
    with pytest.raises(DomainError) as refused:
        await service.create(tenant_id=tenant.id, draft=replace(DRAFT, **changes), now=NOW)
    # then
    assert (refused.value.code, refused.value.field) == (code, field)
    assert await Campaign.filter(tenant_id=tenant.id).count() == 0


async def test_another_stores_segment_or_coupon_template_is_not_found(db: None) -> None:
    """Ids of another store's segment or coupon template read as unknown."""
    # given
    mine, theirs = await make_tenant(), await make_tenant(name="Other")
    segment = await segments.create(tenant_id=theirs.id, name="Theirs", definition=None, now=NOW)
    template = await make_template(theirs)
    # when / then
    with pytest.raises(DomainError) as by_segment:
        await service.create(
            tenant_id=mine.id, draft=replace(DRAFT, include_segment_ids=[segment.id]), now=NOW
        )
    with pytest.raises(DomainError) as by_template:
        await service.create(
            tenant_id=mine.id,
            draft=replace(DRAFT, incentive="coupon", coupon_template_id=template.id),
            now=NOW,
        )
    assert (by_segment.value.code, by_template.value.code) == ("NOT_FOUND", "NOT_FOUND")


async def test_an_expired_coupon_template_is_refused(db: None) -> None:
    """A template whose codes have expired cannot be a campaign's incentive."""
    # given
    tenant = await make_tenant()
    template = await make_template(tenant, expires_at=NOW + timedelta(days=1))
    draft = replace(DRAFT, incentive="coupon", coupon_template_id=template.id, template="{coupon_code}")
    # when / then
    with pytest.raises(DomainError) as refused:
        await service.create(tenant_id=tenant.id, draft=draft, now=NOW + timedelta(days=2))
    assert refused.value.code == "TEMPLATE_EXPIRED"


async def test_the_same_client_key_creates_once_even_at_once(db: None) -> None:
    """Ten concurrent creates with one client key make one campaign, and all answer with it."""
    # given
    tenant = await make_tenant()
    # when
    made = await asyncio.gather(
        *(service.create(tenant_id=tenant.id, draft=DRAFT, client_key="k-1", now=NOW) for _ in range(10))
    )
    # then
    assert len({campaign.id for campaign in made}) == 1
    assert await Campaign.filter(tenant_id=tenant.id).count() == 1


async def test_only_a_draft_changes_or_is_deleted(db: None) -> None:
    """A draft takes changes (checked again) and may be deleted; a scheduled campaign refuses both."""
    # given
    tenant = await make_tenant()
    draft = await service.create(tenant_id=tenant.id, draft=DRAFT, now=NOW)
    scheduled = await make_campaign(tenant, status="scheduled")
    # when
    changed = await service.update(
        tenant_id=tenant.id, campaign_id=draft.id, changes={"control_percent": 10}, now=NOW
    )
    with pytest.raises(DomainError) as bad:
        await service.update(
            tenant_id=tenant.id, campaign_id=draft.id, changes={"control_percent": 60}, now=NOW
        )
    with pytest.raises(DomainError) as late:
        await service.update(tenant_id=tenant.id, campaign_id=scheduled.id, changes={"name": "x"}, now=NOW)
    with pytest.raises(DomainError) as gone:
        await service.delete(tenant_id=tenant.id, campaign_id=scheduled.id)
    await service.delete(tenant_id=tenant.id, campaign_id=draft.id)
    # then
    assert changed.control_percent == 10
    assert (bad.value.field, late.value.code, gone.value.code) == (
        "controlPercent",
        "INVALID_STATE",
        "INVALID_STATE",
    )
    assert await Campaign.filter(tenant_id=tenant.id).count() == 1


async def test_a_segment_used_by_a_live_campaign_cannot_be_deleted(db: None) -> None:
    """Deleting a segment a draft, scheduled, sending or paused campaign uses is refused naming the
    campaign; once the campaign is completed the segment may go."""
    # given
    tenant = await make_tenant()
    segment = await segments.create(tenant_id=tenant.id, name="Lapsed", definition=None, now=NOW)
    campaign = await make_campaign(
        tenant, name="Win-back", status="sending", exclude_segment_ids=[str(segment.id)]
    )
    # when
    with pytest.raises(DomainError) as refused:
        await segments.delete(tenant_id=tenant.id, segment_id=segment.id)
    await Campaign.filter(id=campaign.id).update(status="completed")
    await segments.delete(tenant_id=tenant.id, segment_id=segment.id)
    # then
    assert refused.value.code == "IN_USE" and "campaign “Win-back”" in refused.value.message
