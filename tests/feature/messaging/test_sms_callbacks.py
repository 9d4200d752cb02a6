"""Kavenegar's callbacks over HTTP: delivery reports and inbound SMS, authenticated by the URL's key."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

from domain.customers.models import Customer
from domain.messaging import accounts, suppressions
from domain.messaging import service as messaging
from domain.messaging.models import InboundMessage, OutboundMessage
from domain.tenancy.models import Tenant
from graph.rest.sms_callbacks import callback_paths
from tests.support.api import ApiClient
from tests.support.automation import make_customer
from tests.support.factories import TEST_SECRET, Owner, make_owner

MESSAGES = "query { outboundMessages { nodes { id deliveryStatus deliveryStatusAt } } }"
SET = """
mutation { setSmsAccount(input: {provider: KAVENEGAR, apiKey: "own-kavenegar-key-1234", line: "10008663"}) {
  smsAccount { id callbacks { deliveryPath inboundPath } } errors { code } } }
"""
PHONE = "+989121234567"


def platform_paths() -> tuple[str, str]:
    return callback_paths(scope="platform", key=accounts.callback_key(secret=TEST_SECRET, scope="platform"))


async def sent(
    tenant: Tenant, *, provider_message_id: str, account_id: Any = None, purpose: str = "marketing"
) -> OutboundMessage:
    customer = await make_customer(tenant, phone=PHONE)
    return await OutboundMessage.create(
        tenant_id=tenant.id,
        customer_id=customer.id,
        origin_key=f"o:{uuid4()}",
        purpose=purpose,
        phone=PHONE,
        body="تخفیف\nلغو۱۱",
        encoding="UCS-2",
        parts=1,
        status="sent",
        provider="kavenegar",
        provider_message_id=provider_message_id,
        sms_account_id=account_id,
        sent_at=datetime.now(UTC),
    )


async def own_account(client: ApiClient, owner: Owner) -> dict[str, Any]:
    account: dict[str, Any] = (await client.graphql(SET, token=owner.token)).ok()["setSmsAccount"][
        "smsAccount"
    ]
    return account


async def test_a_delivery_report_on_the_platform_line_shows_on_the_message(client: ApiClient) -> None:
    """Kavenegar posts messageid and status 10: the message reads DELIVERED with the time; the same post
    again records nothing; a status on its way (4) is answered 200 and ignored."""
    # given
    owner = await make_owner()
    message = await sent(owner.tenant, provider_message_id="8792343")
    delivery_path, _ = platform_paths()
    # when
    on_its_way = await client.http.post(delivery_path, data={"messageid": "8792343", "status": "4"})
    first = await client.http.post(delivery_path, data={"messageid": "8792343", "status": "10"})
    again = await client.http.get(delivery_path, params={"messageid": "8792343", "status": "10"})
    # then
    assert [r.status_code for r in (on_its_way, first, again)] == [200, 200, 200]
    assert [r.json()["recorded"] for r in (on_its_way, first, again)] == [0, 1, 0]
    [node] = (await client.graphql(MESSAGES, token=owner.token)).ok()["outboundMessages"]["nodes"]
    assert (
        node["id"] == str(message.id) and node["deliveryStatus"] == "DELIVERED" and node["deliveryStatusAt"]
    )


async def test_a_wrong_key_or_an_unknown_account_is_refused_alike(client: ApiClient) -> None:
    """Another scope's key, a made-up key and an unknown account all answer 401; nothing changes."""
    # given
    owner = await make_owner()
    await sent(owner.tenant, provider_message_id="1")
    platform_key = accounts.callback_key(secret=TEST_SECRET, scope="platform")
    unknown = str(uuid4())
    attempts = [
        callback_paths(scope="platform", key="x" * 32)[0],
        callback_paths(scope=unknown, key=platform_key)[0],
        callback_paths(scope=unknown, key=accounts.callback_key(secret=TEST_SECRET, scope=unknown))[0],
        callback_paths(scope="platform", key="k" * 10_000)[0],
    ]
    # when
    answers = [await client.http.post(path, data={"messageid": "1", "status": "10"}) for path in attempts]
    # then
    assert [answer.status_code for answer in answers] == [401, 401, 401, 401]
    assert {answer.json()["error"]["code"] for answer in answers} == {"UNAUTHENTICATED"}
    assert (await OutboundMessage.get(provider_message_id="1")).delivery_status is None


async def test_a_store_account_s_callback_reaches_only_that_store_s_messages(client: ApiClient) -> None:
    """The same Kavenegar id on the platform line and on a store's own account: the store's URL changes the
    store's message only."""
    # given
    owner, other = await make_owner(), await make_owner()
    account = await own_account(client, owner)
    mine = await sent(owner.tenant, provider_message_id="555", account_id=account["id"])
    theirs = await sent(other.tenant, provider_message_id="555")
    # when
    answer = await client.http.post(
        account["callbacks"]["deliveryPath"], data={"messageid": "555", "status": "11"}
    )
    # then
    assert answer.json() == {"recorded": 1}
    assert (await OutboundMessage.get(id=mine.id)).delivery_status == "undeliverable"
    assert (await OutboundMessage.get(id=theirs.id)).delivery_status is None


async def test_an_opt_out_to_a_store_s_line_suppresses_marketing_in_that_store(client: ApiClient) -> None:
    """«لغو» posted to the store account's inbound URL is kept once and suppresses the sender there."""
    # given
    owner, other = await make_owner(), await make_owner()
    account = await own_account(client, owner)
    body = {"messageid": "40000001", "from": "09121234567", "to": "10008663", "message": "لغو"}
    # when
    first = await client.http.post(account["callbacks"]["inboundPath"], data=body)
    again = await client.http.post(account["callbacks"]["inboundPath"], data=body)
    # then
    assert (first.json(), again.json()) == ({"recorded": 1}, {"recorded": 0})
    assert await suppressions.is_suppressed(tenant_id=owner.tenant.id, phone=PHONE)
    assert not await suppressions.is_suppressed(tenant_id=other.tenant.id, phone=PHONE)
    row = await InboundMessage.get(tenant_id=owner.tenant.id)
    assert (row.source, row.opt_out, row.phone) == ("callback", True, PHONE)


async def test_an_opt_out_to_the_shared_line_reaches_the_store_that_texted_the_phone(
    client: ApiClient,
) -> None:
    """On the platform's line the store that sent the phone marketing hears the opt-out; another does not."""
    # given
    owner, bystander = await make_owner(), await make_owner()
    await sent(owner.tenant, provider_message_id="9")
    await make_customer(bystander.tenant, phone=PHONE)
    _, inbound_path = platform_paths()
    # when
    answer = await client.http.get(
        inbound_path, params={"messageid": "7", "from": "+989121234567", "message": "۱۱"}
    )
    # then
    assert answer.json() == {"recorded": 1}
    assert await suppressions.is_suppressed(tenant_id=owner.tenant.id, phone=PHONE)
    assert not await suppressions.is_suppressed(tenant_id=bystander.tenant.id, phone=PHONE)


async def test_bodies_and_fields_at_their_limits(client: ApiClient) -> None:
    """A body over 16 KiB is 413; an overlong field, a non-numeric id and a missing sender are 422; NUL in the
    text is stored without it."""
    # given
    owner = await make_owner()
    await sent(owner.tenant, provider_message_id="9")
    delivery_path, inbound_path = platform_paths()
    # when
    huge = await client.http.post(
        inbound_path,
        content=b"message=" + b"x" * 20_000,
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    long_text = await client.http.post(
        inbound_path, data={"messageid": "1", "from": PHONE, "message": "x" * 10_000}
    )
    bad_id = await client.http.post(delivery_path, data={"messageid": "12a", "status": "10"})
    no_sender = await client.http.post(inbound_path, data={"messageid": "1", "message": "11"})
    nul = await client.http.post(inbound_path, data={"messageid": "2", "from": PHONE, "message": "سلام\x00"})
    # then
    assert [r.status_code for r in (huge, long_text, bad_id, no_sender, nul)] == [413, 422, 422, 422, 200]
    assert long_text.json()["error"]["field"] == "message" and no_sender.json()["error"]["field"] == "from"
    assert (await InboundMessage.get(provider_message_id="2")).body == "سلام"


async def test_the_openapi_document_describes_both_callbacks(client: ApiClient) -> None:
    """The callbacks are in /rest/v1/openapi.json, with their form fields."""
    # when
    document = (await client.http.get("/rest/v1/openapi.json")).json()
    # then
    delivery = document["paths"]["/rest/v1/sms/kavenegar/{scope}/{key}/delivery"]["post"]
    inbound = document["paths"]["/rest/v1/sms/kavenegar/{scope}/{key}/inbound"]["post"]
    assert delivery["operationId"] == "receiveKavenegarDelivery" and inbound["security"] == []
    form = inbound["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]
    assert set(form["properties"]) == {"messageid", "from", "to", "message"}


async def test_after_an_opt_out_reply_the_store_s_next_marketing_is_suppressed_but_receipts_go(
    client: ApiClient,
) -> None:
    """«لغو۱۱» answered on the shared line: the next marketing SMS to that customer is recorded as
    suppressed, never queued; a receipt to them is still queued."""
    # given
    owner = await make_owner()
    earlier = await sent(owner.tenant, provider_message_id="31")
    customer = await Customer.get(id=earlier.customer_id)  # type: ignore[attr-defined]
    _, inbound_path = platform_paths()
    await client.http.post(inbound_path, data={"messageid": "8", "from": "09121234567", "message": "لغو۱۱"})
    # when
    marketing = await messaging.queue_sms(
        tenant=owner.tenant, customer=customer, origin_key="winback:1", purpose="marketing", body="تخفیف ویژه"
    )
    receipt = await messaging.queue_sms(
        tenant=owner.tenant, customer=customer, origin_key="receipt:1", purpose="transactional", body="رسید"
    )
    # then
    assert marketing.status == "suppressed" and receipt.status == "queued"
