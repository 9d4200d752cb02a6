"""Campaigns through GraphQL as an owner uses them: write a draft, test it on their own phone, launch,
watch the counters and the recipients, pause, resume and cancel; typed errors at every limit; roles
and tenant isolation."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from domain.billing import tariffs, wallet
from domain.segments import service as segments
from domain.tenancy import service as tenancy
from domain.tenancy.security import issue_access_token
from tests.support.api import ApiClient
from tests.support.automation import make_customer
from tests.support.coupons import make_template
from tests.support.factories import TEST_SECRET, Owner, make_owner

CREATE = """
mutation Create($input: CampaignInput!, $key: String) {
  createCampaign(input: $input, clientKey: $key) {
    campaign { id name status incentive controlPercent windowStart windowEnd includeSegmentIds }
    errors { code field message }
  }
}
"""
LAUNCH = """
mutation Launch($id: ID!) {
  launchCampaign(id: $id) {
    campaign { status costReserved launchedAt exclusions { reason count } }
    errors { code field message }
  }
}
"""
MOVE = """
mutation Move($id: ID!) {
  pauseCampaign(id: $id) { campaign { status pauseReason } errors { code } }
}
"""
RESUME = "mutation Resume($id: ID!) { resumeCampaign(id: $id) { campaign { status } errors { code } } }"
CANCEL = """
mutation Cancel($id: ID!) {
  cancelCampaign(id: $id) { campaign { status progress { queued cancelled costReserved } } errors { code } }
}
"""
SCHEDULE = """
mutation Schedule($id: ID!, $at: DateTime!) {
  scheduleCampaign(id: $id, at: $at) { campaign { status scheduledAt } errors { code field } }
}
"""
TEST = """
mutation Test($id: ID!, $phone: String) {
  sendCampaignTest(id: $id, phone: $phone) { phone body status errors { code field } }
}
"""
DELETE = "mutation Delete($id: ID!) { deleteCampaign(id: $id) { deletedId errors { code } } }"
ONE = """
query One($id: ID!, $after: String, $status: RecipientStatus) {
  campaign(id: $id) {
    name status
    progress { recipients excluded control queued sent costReserved costCharged }
    results { sent attributedOrders treated { customers } control { customers } conversionLift }
    recipients(first: 2, after: $after, status: $status) {
      nodes { customerId status reason messageStatus couponCode }
      pageInfo { hasNextPage endCursor }
    }
  }
}
"""
LIST = """
query List($status: CampaignStatus) { campaigns(status: $status) { nodes { name status } } }
"""
DRAFT = {"name": "Black Friday", "template": "{first_name}، کد {coupon_code}: {coupon_value}"}


async def call(client: ApiClient, owner: Owner, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    result = await client.graphql(query, variables, token=owner.token, tenant=owner.tenant_id)
    return next(iter(result.ok().values()))


async def store(customers: int = 3) -> tuple[Owner, dict[str, Any]]:
    """An owner with funds, ``customers`` reachable customers and one without a phone, and a coupon
    campaign's input."""
    owner = await make_owner()
    await wallet.top_up(owner.tenant.id, amount=10_000_000, key="campaign-tests", reference="test:api")
    for _ in range(customers):
        await make_customer(owner.tenant)
    await make_customer(owner.tenant, phone=None)
    template = await make_template(owner.tenant)
    return owner, {**DRAFT, "incentive": "COUPON", "couponTemplateId": str(template.id)}


async def test_an_owner_writes_tests_launches_and_follows_a_campaign(client: ApiClient, db: None) -> None:
    """Create (once per client key), test on a phone, launch: exclusions by reason, the reservation,
    counters, and recipients paged with their codes; a second launch changes nothing."""
    # given
    owner, draft = await store()
    # when
    created = await call(client, owner, CREATE, {"input": draft, "key": "bf-1"})
    again = await call(client, owner, CREATE, {"input": {**draft, "name": "Other"}, "key": "bf-1"})
    campaign_id = created["campaign"]["id"]
    tested = await call(client, owner, TEST, {"id": campaign_id, "phone": "09121234567"})
    launched = await call(client, owner, LAUNCH, {"id": campaign_id})
    twice = await call(client, owner, LAUNCH, {"id": campaign_id})
    first_page = await call(client, owner, ONE, {"id": campaign_id, "status": "TREATED"})
    cursor = first_page["recipients"]["pageInfo"]["endCursor"]
    second_page = await call(client, owner, ONE, {"id": campaign_id, "status": "TREATED", "after": cursor})
    # then
    assert created["errors"] == [] and created["campaign"]["status"] == "DRAFT"
    assert again["campaign"]["id"] == campaign_id and again["campaign"]["name"] == "Black Friday"
    assert (tested["phone"], tested["status"], tested["errors"]) == ("+989121234567", "queued", [])
    assert tested["body"].endswith("\nلغو۱۱")
    assert launched["errors"] == [] and launched["campaign"]["status"] == "SENDING"
    assert launched["campaign"]["exclusions"] == [{"reason": "NO_PHONE", "count": 1}]
    assert launched["campaign"]["costReserved"] > 0
    assert twice["campaign"]["launchedAt"] == launched["campaign"]["launchedAt"]
    progress = first_page["progress"]
    assert (progress["recipients"], progress["excluded"], progress["queued"], progress["sent"]) == (
        3,
        1,
        3,
        0,
    )
    assert progress["costReserved"] == launched["campaign"]["costReserved"]
    nodes = first_page["recipients"]["nodes"] + second_page["recipients"]["nodes"]
    assert len(nodes) == 3 and len({node["couponCode"] for node in nodes}) == 3
    assert {node["messageStatus"] for node in nodes} == {"queued"}
    assert first_page["recipients"]["pageInfo"]["hasNextPage"] is True
    assert second_page["recipients"]["pageInfo"]["hasNextPage"] is False


async def test_pause_resume_and_cancel_between_chunks(client: ApiClient, db: None) -> None:
    """Pause and resume a sending campaign; cancel withdraws what is queued and frees the reservation;
    a cancelled campaign cannot be resumed; the list filters by status."""
    # given
    owner, draft = await store()
    campaign_id = (await call(client, owner, CREATE, {"input": draft}))["campaign"]["id"]
    await call(client, owner, LAUNCH, {"id": campaign_id})
    # when
    paused = await call(client, owner, MOVE, {"id": campaign_id})
    resumed = await call(client, owner, RESUME, {"id": campaign_id})
    cancelled = await call(client, owner, CANCEL, {"id": campaign_id})
    refused = await call(client, owner, RESUME, {"id": campaign_id})
    listed = await call(client, owner, LIST, {"status": "CANCELLED"})
    # then
    assert paused["campaign"] == {"status": "PAUSED", "pauseReason": "OWNER"}
    assert resumed["campaign"]["status"] == "SENDING"
    assert cancelled["campaign"]["progress"]["queued"] == 0
    assert cancelled["campaign"]["progress"]["cancelled"] == 3
    assert (await wallet.balance(owner.tenant.id)).reserved == 0
    assert [error["code"] for error in refused["errors"]] == ["INVALID_STATE"]
    assert listed["nodes"] == [{"name": "Black Friday", "status": "CANCELLED"}]


async def test_every_limit_is_a_typed_error_naming_its_field(client: ApiClient, db: None) -> None:
    """Empty name, a 10,000-character template, NUL, control 51 %, a past schedule, another store's
    segment and coupon template, an unknown id: each is refused with its code and field."""
    # given
    owner, draft = await store(customers=0)
    other, other_draft = await store(customers=0)
    campaign_id = (await call(client, owner, CREATE, {"input": draft}))["campaign"]["id"]
    cases = {
        "empty name": {**draft, "name": " "},
        "long template": {**draft, "template": "x" * 10_000},
        "nul": {**draft, "template": "hi\u0000"},
        "control": {**draft, "controlPercent": 51},
        "their template": other_draft,
        "their segment": {**draft, "includeSegmentIds": [other_draft["couponTemplateId"]]},
        "bad id": {**draft, "includeSegmentIds": ["not-a-uuid"]},
    }
    # when
    answers = {name: await call(client, owner, CREATE, {"input": value}) for name, value in cases.items()}
    past = await call(client, owner, SCHEDULE, {"id": campaign_id, "at": "2020-01-01T10:00:00"})
    unknown = await call(client, owner, LAUNCH, {"id": "00000000-0000-0000-0000-000000000000"})
    theirs = await call(client, other, LAUNCH, {"id": campaign_id})
    # then
    found = {name: [(e["code"], e["field"]) for e in answer["errors"]] for name, answer in answers.items()}
    assert found == {
        "empty name": [("INVALID", "name")],
        "long template": [("INVALID", "template")],
        "nul": [("INVALID", "template")],
        "control": [("INVALID", "controlPercent")],
        "their template": [("NOT_FOUND", "couponTemplateId")],
        "their segment": [("NOT_FOUND", "includeSegmentIds")],
        "bad id": [("NOT_FOUND", "includeSegmentIds")],
    }
    assert all(answer["campaign"] is None for answer in answers.values())
    assert [(e["code"], e["field"]) for e in past["errors"]] == [("INVALID", "scheduledAt")]
    assert [e["code"] for e in unknown["errors"]] == ["NOT_FOUND"]
    assert [e["code"] for e in theirs["errors"]] == ["NOT_FOUND"]


async def test_a_launch_the_wallet_cannot_pay_is_refused_and_changes_nothing(
    client: ApiClient, db: None
) -> None:
    """With a part price above the balance, launch answers INSUFFICIENT_FUNDS and the campaign is still
    a draft with no recipients; concurrent launches of a payable campaign launch once."""
    # given
    owner, draft = await store()
    costly = (await call(client, owner, CREATE, {"input": draft}))["campaign"]["id"]
    await tariffs.set_tenant_tariff(
        tenant_id=owner.tenant.id, annual_fee=None, journey_run_price=None, sms_part_price=10**12
    )
    # when
    refused = await call(client, owner, LAUNCH, {"id": costly})
    after = await call(client, owner, ONE, {"id": costly})
    # then
    assert [e["code"] for e in refused["errors"]] == ["INSUFFICIENT_FUNDS"]
    assert after["status"] == "DRAFT" and after["progress"]["recipients"] == 0
    assert after["recipients"]["nodes"] == []


async def test_concurrent_launches_launch_once(client: ApiClient, db: None) -> None:
    """Five launches at once: one snapshot, one message per recipient, one reservation."""
    # given
    owner, draft = await store()
    campaign_id = (await call(client, owner, CREATE, {"input": draft}))["campaign"]["id"]
    # when
    answers = await asyncio.gather(*(call(client, owner, LAUNCH, {"id": campaign_id}) for _ in range(5)))
    one = await call(client, owner, ONE, {"id": campaign_id})
    # then
    assert {answer["campaign"]["status"] for answer in answers} == {"SENDING"}
    assert one["progress"]["queued"] == 3
    assert (await wallet.balance(owner.tenant.id)).reserved == one["progress"]["costReserved"]


async def test_a_draft_is_scheduled_in_local_time_and_only_drafts_are_deleted(
    client: ApiClient, db: None
) -> None:
    """Tomorrow 10:00 without offset is 10:00 in Tehran; a scheduled campaign cannot be deleted."""
    # given
    owner, draft = await store(customers=0)
    campaign_id = (await call(client, owner, CREATE, {"input": draft}))["campaign"]["id"]
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date()
    # when
    scheduled = await call(client, owner, SCHEDULE, {"id": campaign_id, "at": f"{tomorrow}T10:00:00"})
    refused = await call(client, owner, DELETE, {"id": campaign_id})
    # then
    assert scheduled["campaign"]["status"] == "SCHEDULED"
    assert scheduled["campaign"]["scheduledAt"].startswith(f"{tomorrow}T06:30:00")
    assert [e["code"] for e in refused["errors"]] == ["INVALID_STATE"]


async def test_analysts_read_campaigns_and_marketers_run_them(client: ApiClient, db: None) -> None:
    """An analyst lists campaigns but may not create one (FORBIDDEN); a marketer may."""
    # given
    owner, draft = await store(customers=0)
    analyst, marketer = await make_owner(), await make_owner()
    await tenancy.grant_role(user_id=analyst.user.id, tenant_id=owner.tenant.id, role="analyst")
    await tenancy.grant_role(user_id=marketer.user.id, tenant_id=owner.tenant.id, role="marketer")
    analyst_token = issue_access_token(analyst.user.id, secret=TEST_SECRET, minutes=30)
    marketer_token = issue_access_token(marketer.user.id, secret=TEST_SECRET, minutes=30)
    # when
    read = await client.graphql(LIST, {}, token=analyst_token, tenant=owner.tenant_id)
    write = await client.graphql(CREATE, {"input": draft}, token=analyst_token, tenant=owner.tenant_id)
    marketer_write = await client.graphql(
        CREATE, {"input": draft}, token=marketer_token, tenant=owner.tenant_id
    )
    # then
    assert read.ok()["campaigns"]["nodes"] == []
    assert write.error_codes() == ["FORBIDDEN"]
    assert marketer_write.ok()["createCampaign"]["errors"] == []


async def test_another_stores_campaign_cannot_be_read(client: ApiClient, db: None) -> None:
    """A campaign of one store is NOT_FOUND for the owner of another, and absent from their list."""
    # given
    owner, draft = await store(customers=0)
    other, _ = await store(customers=0)
    campaign_id = (await call(client, owner, CREATE, {"input": draft}))["campaign"]["id"]
    # when
    read = await client.graphql(ONE, {"id": campaign_id}, token=other.token, tenant=other.tenant_id)
    listed = await call(client, other, LIST, {})
    # then
    assert read.error_codes() == ["NOT_FOUND"]
    assert listed["nodes"] == []


async def test_a_segment_a_campaign_uses_cannot_be_deleted_until_it_is_finished(
    client: ApiClient, db: None
) -> None:
    """deleteSegment answers IN_USE naming the draft campaign that targets the segment; once the
    campaign is cancelled the segment may be deleted."""
    # given
    owner, draft = await store(customers=0)
    segment = await segments.create(
        tenant_id=owner.tenant.id, name="VIP", definition=None, now=datetime.now(UTC)
    )
    created = await call(client, owner, CREATE, {"input": {**draft, "includeSegmentIds": [str(segment.id)]}})
    remove = "mutation Remove($id: ID!) { deleteSegment(id: $id) { deletedId errors { code message } } }"
    # when
    refused = await call(client, owner, remove, {"id": str(segment.id)})
    await call(client, owner, CANCEL, {"id": created["campaign"]["id"]})
    removed = await call(client, owner, remove, {"id": str(segment.id)})
    # then
    assert [e["code"] for e in refused["errors"]] == ["IN_USE"]
    assert "campaign “Black Friday”" in refused["errors"][0]["message"]
    assert removed["deletedId"] == str(segment.id)
