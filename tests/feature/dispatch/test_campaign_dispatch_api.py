"""A campaign as an owner runs it through GraphQL while the dispatch job sends it to a Kavenegar-protocol
server: launched and completed with the counters and the charge shown true; paused and resumed between
chunks; held by quiet hours; paused when the wallet runs dry and going on after a top-up."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID

import pytest
from arq.connections import ArqRedis

from domain.billing import holds, wallet
from domain.campaigns import lifecycle
from domain.campaigns.dispatch import dispatch_chunk
from domain.messaging.kavenegar import KavenegarProvider
from domain.tenancy.models import Tenant
from jobs.campaign_dispatch import dispatch_campaigns
from tests.support.api import ApiClient
from tests.support.commerce import make_customers
from tests.support.factories import Owner, make_owner
from tests.support.kavenegar_server import KavenegarServer, running_kavenegar
from tests.unit.dispatch.dispatch_support import PART_PRICE, directory, route

API_KEY = "dispatch-feature-kavenegar-key"
CREATE = """
mutation Create($input: CampaignInput!) {
  createCampaign(input: $input) { campaign { id } errors { code field message } }
}
"""
LAUNCH = "mutation Launch($id: ID!) { launchCampaign(id: $id) { campaign { status } errors { code } } }"
PAUSE = "mutation Pause($id: ID!) { pauseCampaign(id: $id) { campaign { status } errors { code } } }"
RESUME = "mutation Resume($id: ID!) { resumeCampaign(id: $id) { campaign { status } errors { code } } }"
POLICY = """
mutation Policy($input: SendingPolicyInput!) {
  updateSendingPolicy(input: $input) { policy { quietHoursStart quietHoursEnd } errors { code } }
}
"""
PROGRESS = """
query Progress($id: ID!) {
  campaign(id: $id) {
    status
    progress { status pauseReason recipients queued sent failed suppressed costReserved costCharged }
  }
}
"""


@pytest.fixture
async def kavenegar() -> AsyncIterator[KavenegarServer]:
    async with running_kavenegar(api_key=API_KEY) as server:
        yield server


@pytest.fixture
async def provider(kavenegar: KavenegarServer) -> AsyncIterator[KavenegarProvider]:
    async with KavenegarProvider(API_KEY, base_url=kavenegar.base_url, timeout=2.0) as adapter:
        yield adapter


async def call(client: ApiClient, owner: Owner, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    result = await client.graphql(query, variables, token=owner.token, tenant=owner.tenant_id)
    return next(iter(result.ok().values()))


async def store(client: ApiClient, customers: int, *, funds: int, quiet: bool = False) -> Owner:
    """An owner's store with ``customers`` customers, quiet hours set through GraphQL, and ``funds`` IRR."""
    owner = await make_owner()
    quiet_hours = {"quietHoursStart": "00:00", "quietHoursEnd": "23:59" if quiet else "00:00"}
    policy = await call(
        client,
        owner,
        POLICY,
        {"input": {**quiet_hours, "dailyCap": None, "weeklyCap": None, "consentMode": "OPT_OUT"}},
    )
    assert policy["errors"] == []
    await make_customers(owner.tenant.id, customers)
    await wallet.top_up(owner.tenant.id, amount=funds, key="opening", reference="test")
    return owner


async def launched(client: ApiClient, owner: Owner) -> str:
    created = await call(
        client, owner, CREATE, {"input": {"name": "Yalda", "template": "{first_name}، شب یلدا"}}
    )
    assert created["errors"] == []
    campaign_id = str(created["campaign"]["id"])
    assert (await call(client, owner, LAUNCH, {"id": campaign_id}))["errors"] == []
    return campaign_id


async def progress(client: ApiClient, owner: Owner, campaign_id: str) -> dict[str, Any]:
    return (await call(client, owner, PROGRESS, {"id": campaign_id}))["progress"]


async def test_a_launched_campaign_is_woken_sent_and_completed_with_true_counters(
    client: ApiClient, redis: ArqRedis, kavenegar: KavenegarServer, provider: KavenegarProvider
) -> None:
    """Proves the launch wakes a dispatch job for the store, the job sends every message once through the
    batch API, and the owner's progress shows them sent, the campaign completed and the charge exact."""
    # given
    owner = await store(client, 450, funds=10**9)
    campaign_id = await launched(client, owner)
    woken = [job for job in await redis.queued_jobs() if job.function == "dispatch_campaigns"]
    # when
    answer = await dispatch_campaigns({"redis": redis, "sms_directory": directory(provider)}, owner.tenant_id)
    # then
    assert [job.args for job in woken] == [(owner.tenant_id,)]
    assert answer == "450 sent in 2 chunks"  # chunks of 2 batches × 200
    shown = await progress(client, owner, campaign_id)
    assert shown["status"] == "COMPLETED" and (shown["recipients"], shown["sent"], shown["queued"]) == (
        450,
        450,
        0,
    )
    assert shown["costCharged"] == shown["costReserved"] == 450 * PART_PRICE
    assert kavenegar.taken == 450 and kavenegar.resubmitted == 0


async def test_an_owners_pause_stops_the_next_chunk_and_resume_goes_on(
    client: ApiClient, redis: ArqRedis, kavenegar: KavenegarServer, provider: KavenegarProvider
) -> None:
    """Proves a pause through GraphQL after a chunk sends nothing more (the job finds nothing to send) and
    a resume wakes dispatch, which sends the rest and no message twice."""
    # given: one chunk gone
    owner = await store(client, 300, funds=10**9)
    campaign_id = await launched(client, owner)
    await dispatch_chunk(
        tenant=await Tenant.get(id=owner.tenant.id), campaign_id=UUID(campaign_id), route=route(provider)
    )
    ctx = {"redis": redis, "sms_directory": directory(provider)}
    # when
    assert (await call(client, owner, PAUSE, {"id": campaign_id}))["campaign"]["status"] == "PAUSED"
    while_paused = await dispatch_campaigns(dict(ctx), owner.tenant_id)
    paused = await progress(client, owner, campaign_id)
    await redis.flushdb()
    assert (await call(client, owner, RESUME, {"id": campaign_id}))["campaign"]["status"] == "SENDING"
    woken = [job.function for job in await redis.queued_jobs()]
    after = await dispatch_campaigns(dict(ctx), owner.tenant_id)
    # then
    assert while_paused == "0 sent in 0 chunks" and (paused["sent"], paused["queued"]) == (200, 100)
    assert woken == ["dispatch_campaigns"] and after == "100 sent in 1 chunks"
    assert (await progress(client, owner, campaign_id))["status"] == "COMPLETED"
    assert kavenegar.taken == 300 and kavenegar.resubmitted == 0


async def test_quiet_hours_hold_the_campaign_and_the_job_comes_back_at_the_opening(
    client: ApiClient, redis: ArqRedis, kavenegar: KavenegarServer, provider: KavenegarProvider
) -> None:
    """Proves a campaign launched in the store's quiet hours sends nothing and the job is deferred to the
    moment they end."""
    # given
    owner = await store(client, 20, funds=10**9, quiet=True)
    campaign_id = await launched(client, owner)
    await redis.flushdb()
    # when
    answer = await dispatch_campaigns({"redis": redis, "sms_directory": directory(provider)}, owner.tenant_id)
    # then
    assert answer == "0 sent in 0 chunks" and kavenegar.attempts == []
    assert (await progress(client, owner, campaign_id))["queued"] == 20
    [deferred] = await redis.queued_jobs()
    assert deferred.function == "dispatch_campaigns" and deferred.job_id.startswith(
        f"dispatch:{owner.tenant_id}:at:"
    )


async def test_a_wallet_run_dry_pauses_the_campaign_unpaid_and_a_top_up_resumes_it(
    client: ApiClient, redis: ArqRedis, kavenegar: KavenegarServer, provider: KavenegarProvider
) -> None:
    """Proves that when the wallet cannot pay the next chunk the owner sees the campaign paused for funds
    with nothing sent that was not paid, and after a top-up it goes on to the end, each message charged
    once."""
    # given: exactly the campaign's cost, most of it spent elsewhere after the first chunk
    owner = await store(client, 300, funds=300 * PART_PRICE)
    campaign_id = await launched(client, owner)
    tenant_id = owner.tenant.id
    await dispatch_chunk(
        tenant=await Tenant.get(id=owner.tenant.id), campaign_id=UUID(campaign_id), route=route(provider)
    )
    await wallet.release(tenant_id, key=f"campaign:{campaign_id}")
    left = (await wallet.balance(tenant_id)).available
    await wallet.charge(tenant_id, amount=left, key="spent-elsewhere", kind="journey_run")
    ctx = {"redis": redis, "sms_directory": directory(provider)}
    # when
    await dispatch_campaigns(dict(ctx), owner.tenant_id)
    dry = await progress(client, owner, campaign_id)
    await wallet.top_up(tenant_id, amount=10**8, key="top-up", reference="test")
    await holds.funds_added(tenant_id)
    resumed = await lifecycle.resume_paused_for_funds(tenant_id)
    await dispatch_campaigns(dict(ctx), owner.tenant_id)
    # then
    assert (dry["status"], dry["pauseReason"], dry["sent"], dry["queued"]) == (
        "PAUSED",
        "INSUFFICIENT_FUNDS",
        200,
        100,
    )
    assert dry["costCharged"] == 200 * PART_PRICE
    assert [str(campaign) for campaign in resumed] == [campaign_id]
    done = await progress(client, owner, campaign_id)
    assert (done["status"], done["sent"], done["costCharged"]) == ("COMPLETED", 300, 300 * PART_PRICE)
    assert kavenegar.taken == 300 and kavenegar.resubmitted == 0
