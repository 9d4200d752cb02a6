"""What the owner sees of SMS after sending: inbound messages, delivery counts, the platform's callbacks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

from domain.messaging import accounts, inbound
from domain.messaging.models import OutboundMessage
from domain.messaging.providers import Inbound
from domain.tenancy import service as tenancy
from domain.tenancy.models import Tenant
from domain.tenancy.security import issue_access_token
from tests.support.api import ApiClient
from tests.support.automation import make_customer
from tests.support.factories import TEST_SECRET, make_owner

INBOUND = "query { inboundMessages { nodes { phone body optOut source } } }"
COUNTS = """
query Counts($start: DateTime!, $end: DateTime!) {
  smsDeliveryCounts(start: $start, end: $end) {
    sent delivered failed undeliverable awaitingReport outcomeUnknown
  }
}
"""
PLATFORM = "query { platformSmsCallbacks { deliveryPath inboundPath } }"


async def sent(tenant: Tenant, delivery_status: str | None) -> None:
    customer = await make_customer(tenant)
    await OutboundMessage.create(
        tenant_id=tenant.id,
        customer_id=customer.id,
        origin_key=f"o:{uuid4()}",
        purpose="transactional",
        phone=customer.phone,
        body="رسید",
        encoding="UCS-2",
        parts=1,
        status="sent",
        provider="kavenegar",
        provider_message_id=str(uuid4().int)[:9],
        sent_at=datetime.now(UTC),
        delivery_status=delivery_status,
    )


async def test_inbound_messages_are_listed_for_their_store_only(client: ApiClient) -> None:
    """The store sees the SMS sent to its line, opt-outs marked; another store sees none of them."""
    # given
    owner, other = await make_owner(), await make_owner()
    now = datetime.now(UTC)
    messages = [
        Inbound("1", "09121234567", "10008663", "سلام", now - timedelta(minutes=1)),
        Inbound("2", "09121234567", "10008663", "۱۱", now),
    ]
    await inbound.receive(
        provider="kavenegar",
        account_id=uuid4(),
        tenant_id=owner.tenant.id,
        messages=messages,
        source="poll",
        now=now,
    )
    # when
    mine = (await client.graphql(INBOUND, token=owner.token)).ok()["inboundMessages"]["nodes"]
    theirs = (await client.graphql(INBOUND, token=other.token)).ok()["inboundMessages"]["nodes"]
    # then
    assert mine == [
        {"phone": "+989121234567", "body": "۱۱", "optOut": True, "source": "poll"},
        {"phone": "+989121234567", "body": "سلام", "optOut": False, "source": "poll"},
    ]
    assert theirs == []


async def test_delivery_counts_for_a_period(client: ApiClient) -> None:
    """Counts by outcome for the store's messages of the period; another store's are not counted."""
    # given
    owner, other = await make_owner(), await make_owner()
    for status in ("delivered", "delivered", "undeliverable", None):
        await sent(owner.tenant, status)
    await sent(other.tenant, "failed")
    now = datetime.now(UTC)
    variables = {"start": (now - timedelta(days=1)).isoformat(), "end": (now + timedelta(days=1)).isoformat()}
    # when
    counts = (await client.graphql(COUNTS, variables, token=owner.token)).ok()["smsDeliveryCounts"]
    # then
    assert counts == {
        "sent": 4,
        "delivered": 2,
        "failed": 0,
        "undeliverable": 1,
        "awaitingReport": 1,
        "outcomeUnknown": 0,
    }


async def test_delivery_count_periods_at_their_limits(client: ApiClient) -> None:
    """An end before the start, the same moment twice and a period over 400 days are INVALID."""
    # given
    owner = await make_owner()
    now = datetime.now(UTC)
    periods = [(now, now - timedelta(seconds=1)), (now, now), (now - timedelta(days=401), now)]
    # when
    answers = [
        await client.graphql(COUNTS, {"start": start.isoformat(), "end": end.isoformat()}, token=owner.token)
        for start, end in periods
    ]
    # then
    assert [answer.error_codes() for answer in answers] == [["INVALID"]] * 3


async def test_only_a_platform_admin_reads_the_platform_line_s_callbacks(client: ApiClient) -> None:
    """A store owner is FORBIDDEN; a platform admin gets the paths, keyed for the platform scope."""
    # given
    owner = await make_owner()
    admin = await tenancy.create_user(email="sms-admin@revisit.ir", password="correct horse battery")
    await tenancy.grant_role(user_id=admin.id, tenant_id=None, role="platform_admin")
    token = issue_access_token(admin.id, secret=TEST_SECRET, minutes=30)
    # when
    refused = await client.graphql(PLATFORM, token=owner.token)
    paths = (await client.graphql(PLATFORM, token=token)).ok()["platformSmsCallbacks"]
    # then
    assert refused.error_codes() == ["FORBIDDEN"]
    key = accounts.callback_key(secret=TEST_SECRET, scope="platform")
    assert paths == {
        "deliveryPath": f"/rest/v1/sms/kavenegar/platform/{key}/delivery",
        "inboundPath": f"/rest/v1/sms/kavenegar/platform/{key}/inbound",
    }
