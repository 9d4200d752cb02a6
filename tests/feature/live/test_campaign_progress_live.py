"""campaignProgress as a store owner watches it with the graphql-ws client: a campaign launched through
the campaigns service and sent by a real worker's dispatch shows its counters climbing to completed,
then the subscription completes; a pause made elsewhere shows without a notice; another store's
campaign is NOT_FOUND."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from itertools import pairwise
from typing import Any

from arq.connections import ArqRedis

from domain.billing import wallet
from domain.campaigns import launch, lifecycle, service
from domain.campaigns.models import Campaign
from jobs.campaign_dispatch import enqueue_dispatch
from revisit.services import ServiceUrls
from revisit.settings import Settings
from tests.support.commerce import make_customers
from tests.support.factories import Owner, make_owner
from tests.support.graphql_ws_client import GraphQLWsClient, requires_node_client, ws_url
from tests.support.live_revisit import RevisitServer
from tests.support.worker import drain_queue

pytestmark = requires_node_client

PROGRESS = """
subscription Progress($id: ID!) {
  campaignProgress(id: $id) {
    status pauseReason recipients excluded control queued sent delivered failed suppressed cancelled
    costReserved costCharged
  }
}
"""
RECIPIENTS = 40


async def launched(owner: Owner, recipients: int) -> Campaign:
    """A campaign to every one of ``recipients`` customers of ``owner``'s store (no quiet hours, no caps,
    opt-out consent, a wallet that pays), launched through the campaigns service."""
    tenant = owner.tenant
    tenant.consent_mode = "opt_out"
    tenant.marketing_daily_cap = tenant.marketing_weekly_cap = None
    tenant.quiet_hours_start = tenant.quiet_hours_end = 0
    await tenant.save()
    await make_customers(tenant.id, recipients)
    await wallet.top_up(tenant.id, amount=recipients * 10_000, key=f"top-up:{tenant.id}", reference="test")
    now = datetime.now(UTC)
    draft = await service.create(
        tenant_id=tenant.id,
        draft=service.CampaignDraft(name="Yalda", template="{first_name}، تخفیف"),
        now=now,
    )
    return await launch.launch(tenant_id=tenant.id, campaign_id=draft.id, now=now)


def progress(payload: dict[str, Any]) -> dict[str, Any]:
    assert "errors" not in payload, payload
    result: dict[str, Any] = payload["data"]["campaignProgress"]
    return result


async def test_a_sending_campaigns_counters_climb_to_completed_and_the_subscription_ends(
    db: None, live_server: RevisitServer, redis: ArqRedis, settings: Settings, service_urls: ServiceUrls
) -> None:
    """At once: 40 queued, none sent, the cost reserved. A worker dispatches the campaign in chunks:
    the client sees the counters as they change, the last answer is COMPLETED with all 40 sent and
    charged, and then the server completes the subscription."""
    # given
    owner = await make_owner()
    campaign = await launched(owner, RECIPIENTS)
    params = {"Authorization": f"Bearer {owner.token}"}
    async with GraphQLWsClient.connect(ws_url(live_server.base_url), connection_params=params) as ws:
        await ws.subscribe("p", PROGRESS, {"id": str(campaign.id)})
        first = progress(await ws.next_payload("p"))
        # when
        await enqueue_dispatch(redis, owner.tenant.id)
        await drain_queue(settings, service_urls)
        await ws.event("complete", id="p", within=60)
    # then
    assert (first["status"], first["recipients"], first["queued"], first["sent"]) == (
        "SENDING",
        RECIPIENTS,
        RECIPIENTS,
        0,
    )
    assert first["costReserved"] > 0 and first["costCharged"] == 0
    states = [progress(event["payload"]) for event in ws.seen("next", "p")]
    last = states[-1]
    assert (last["status"], last["queued"], last["sent"], last["failed"]) == ("COMPLETED", 0, RECIPIENTS, 0)
    assert last["costCharged"] > 0
    sent = [state["sent"] for state in states]
    assert sent == sorted(sent)  # counters only climb
    assert all(a != b for a, b in pairwise(states))  # each answer is a change


async def test_a_pause_nobody_announced_shows_on_the_timer(db: None, live_server: RevisitServer) -> None:
    """The owner pauses the campaign through the service (no notice is published): within the
    subscription's periodic re-read the client sees PAUSED, paused by the OWNER."""
    # given
    owner = await make_owner()
    campaign = await launched(owner, 3)
    params = {"token": owner.token}
    async with GraphQLWsClient.connect(ws_url(live_server.base_url), connection_params=params) as ws:
        await ws.subscribe("p", PROGRESS, {"id": str(campaign.id)})
        await ws.next_payload("p")
        # when
        await lifecycle.pause(tenant_id=owner.tenant.id, campaign_id=campaign.id)
        paused = progress(await ws.next_payload("p", within=30))
    # then
    assert (paused["status"], paused["pauseReason"], paused["queued"]) == ("PAUSED", "OWNER", 3)


async def test_a_finished_campaign_answers_once_and_completes(db: None, live_server: RevisitServer) -> None:
    """A campaign cancelled before anyone watched: one answer, CANCELLED with its messages withdrawn,
    then complete."""
    # given
    owner = await make_owner()
    campaign = await launched(owner, 2)
    await lifecycle.cancel(tenant_id=owner.tenant.id, campaign_id=campaign.id)
    # when
    params = {"token": owner.token}
    async with GraphQLWsClient.connect(ws_url(live_server.base_url), connection_params=params) as ws:
        await ws.subscribe("p", PROGRESS, {"id": str(campaign.id)})
        await ws.event("complete", id="p")
    # then
    [only] = [progress(event["payload"]) for event in ws.seen("next", "p")]
    assert (only["status"], only["cancelled"], only["queued"]) == ("CANCELLED", 2, 0)


async def test_another_stores_campaign_or_an_unknown_id_is_not_found(
    db: None, live_server: RevisitServer
) -> None:
    """Store B subscribes to store A's campaign, to an id nobody has, and to a malformed id: each is
    NOT_FOUND, and A's counters are never shown to B."""
    # given
    store_a, store_b = await make_owner(), await make_owner()
    campaign = await launched(store_a, 1)
    params = {"token": store_b.token}
    # when
    async with GraphQLWsClient.connect(ws_url(live_server.base_url), connection_params=params) as ws:
        for name, campaign_id in (("theirs", str(campaign.id)), ("nobody", str(uuid.uuid4())), ("bad", "x")):
            await ws.subscribe(name, PROGRESS, {"id": campaign_id})
        failures = {name: await ws.errors(name) for name in ("theirs", "nobody", "bad")}
    # then
    for errors in failures.values():
        assert [error["extensions"]["code"] for error in errors] == ["NOT_FOUND"]
    assert all(e["payload"].get("data") is None for e in ws.seen("next"))
