"""A campaign's counters: its snapshot's counts and its messages by status, for its own store only."""

from __future__ import annotations

from uuid import uuid4

import pytest

from domain.campaigns.progress import campaign_progress
from domain.errors import NotFound
from tests.support.automation import make_customer, make_tenant
from tests.unit.campaigns.campaign_support import campaign_message, make_campaign


async def test_progress_counts_the_messages_of_the_campaign_by_status(db: None) -> None:
    """Queued, sent, delivered, failed (to send or to deliver), suppressed and cancelled are counted
    from the campaign's own messages; the snapshot's counts come from the campaign."""
    # given
    tenant = await make_tenant()
    campaign = await make_campaign(
        tenant, status="sending", recipients_count=7, excluded_count=3, control_count=2, cost_reserved=10_500
    )
    other = await make_campaign(tenant, status="sending")
    people = [await make_customer(tenant) for _ in range(8)]
    await campaign_message(campaign, people[0])
    await campaign_message(campaign, people[1], status="sent")
    await campaign_message(campaign, people[2], status="sent", delivery_status="delivered")
    await campaign_message(campaign, people[3], status="sent", delivery_status="failed")
    await campaign_message(campaign, people[4], status="failed")
    await campaign_message(campaign, people[5], status="suppressed")
    await campaign_message(campaign, people[6], status="cancelled")
    await campaign_message(other, people[7], status="sent")
    # when
    progress = await campaign_progress(tenant_id=tenant.id, campaign_id=campaign.id)
    # then
    assert (progress.status, progress.pause_reason) == ("sending", None)
    assert (progress.recipients, progress.excluded, progress.control) == (7, 3, 2)
    assert (progress.queued, progress.sent, progress.delivered, progress.failed) == (1, 3, 1, 2)
    assert (progress.suppressed, progress.cancelled) == (1, 1)
    assert (progress.cost_reserved, progress.cost_charged) == (10_500, 0)


async def test_another_stores_campaign_is_not_found(db: None) -> None:
    """A campaign id of one store reads as unknown to another, like an id that never existed."""
    # given
    mine, theirs = await make_tenant(), await make_tenant(name="Other")
    campaign = await make_campaign(theirs)
    # when / then
    with pytest.raises(NotFound):
        await campaign_progress(tenant_id=mine.id, campaign_id=campaign.id)
    with pytest.raises(NotFound):
        await campaign_progress(tenant_id=mine.id, campaign_id=uuid4())
