"""Dispatch through sms.ir, which has no local ids and no duplicate protection: an unknown outcome is
looked up by number and text, and a "not there" is believed only after the grace."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from domain.campaigns.dispatch import dispatch_chunk
from domain.messaging.accounts import Route
from domain.messaging.smsir import SmsirProvider
from tests.support.smsir_server import DEFAULT_LINE, SmsirServer, running_smsir
from tests.unit.dispatch.dispatch_support import launched_campaign, statuses

API_KEY = "dispatch-smsir-key"


@pytest.fixture
async def smsir() -> AsyncIterator[SmsirServer]:
    async with running_smsir(api_key=API_KEY, credit=10_000.0) as server:
        yield server


@pytest.fixture
async def route(smsir: SmsirServer) -> AsyncIterator[Route]:
    async with SmsirProvider(API_KEY, line=DEFAULT_LINE, base_url=smsir.base_url, timeout=1.0) as provider:
        yield Route(provider, DEFAULT_LINE, None)


async def test_a_lost_answer_is_found_by_the_look_up_and_never_sent_twice(
    db: None, smsir: SmsirServer, route: Route
) -> None:
    """Proves a batch sms.ir took but whose answer was lost is recorded sent from the day's sends, and
    sms.ir gets each number once."""
    # given
    given = await launched_campaign(recipients=30)
    smsir.stall_next(3.0)
    first = await dispatch_chunk(tenant=given.tenant, campaign_id=given.campaign.id, route=route)
    # when
    later = datetime.now(UTC) + timedelta(seconds=15)
    second = await dispatch_chunk(tenant=given.tenant, campaign_id=given.campaign.id, route=route, now=later)
    # then
    assert (first.sent, second.sent) == (0, 30)
    assert smsir.taken == 30 and len({record["mobile"] for record in smsir.sent}) == 30


async def test_a_not_there_is_believed_only_after_the_grace_and_then_sent_once(
    db: None, smsir: SmsirServer, route: Route
) -> None:
    """Proves a request sms.ir lost (nothing sent) is not sent again while the look-up is too recent to
    trust, and is sent once after the grace."""
    # given
    given = await launched_campaign(recipients=10)
    smsir.lose_next(2.0)
    await dispatch_chunk(tenant=given.tenant, campaign_id=given.campaign.id, route=route)
    # when
    soon = await dispatch_chunk(
        tenant=given.tenant,
        campaign_id=given.campaign.id,
        route=route,
        now=datetime.now(UTC) + timedelta(seconds=15),
    )
    after_grace = await dispatch_chunk(
        tenant=given.tenant,
        campaign_id=given.campaign.id,
        route=route,
        now=datetime.now(UTC) + timedelta(minutes=3),
    )
    # then
    assert (soon.sent, after_grace.sent) == (0, 10)
    assert smsir.taken == 10 and await statuses(given.campaign.id) == {"sent": 10}
