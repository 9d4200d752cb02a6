"""POST /rest/v1/woocommerce/webhook as WooCommerce calls it: signed deliveries, pings, refusals."""

from __future__ import annotations

from tortoise.transactions import in_transaction

from domain.events.models import IngestedEvent
from domain.tenancy import service as tenancy
from domain.tenancy import webhooks
from domain.tenancy.models import StoreKey
from tests.support.api import ApiClient
from tests.support.factories import make_owner, make_store_key
from tests.support.woocommerce import (
    WEBHOOK_PATH,
    connect_webhooks,
    deliver,
    encode,
    signature,
    wc_customer,
    wc_order,
)

INGEST = """
mutation($t: ID, $payload: JSON!) {
  ingestWooCommerceWebhook(topic: "order.updated", payload: $payload, tenantId: $t) { accepted }
}
"""


async def test_a_signed_order_delivery_is_stored_as_events_from_woocommerce_webhooks(
    client: ApiClient,
) -> None:
    """200 with counts; the order and its refund are stored under their own source, delivery recorded."""
    # given
    owner = await make_owner()
    store = await connect_webhooks(owner)
    # when
    response = await deliver(
        client.http, key=store.public_id, secret=store.secret, topic="order.updated", payload=wc_order()
    )
    # then
    assert response.status_code == 200
    body = response.json()
    assert (body["accepted"], body["duplicates"], body["rejected"], body["ignored"]) == (2, 0, 0, False)
    assert [result["status"] for result in body["results"]] == ["accepted", "accepted"]
    stored = await IngestedEvent.filter(tenant_id=owner.tenant.id).order_by("id")
    assert [(event.source, event.type) for event in stored] == [
        ("woocommerce_webhook", "order.updated"),
        ("woocommerce_webhook", "order.refunded"),
    ]
    assert stored[1].event_id == "wc-refund-1077"
    assert stored[0].payload["woocommerce"] == {
        "topic": "order.updated",
        "delivery_id": "d41d8cd98f00b204e9800998ecf8427e",
        "webhook_id": "12",
        "store_url": "https://chai.example.ir/",
    }
    assert (await StoreKey.get(id=store.key_id)).last_used_at is not None


async def test_the_same_delivery_twice_is_all_duplicates(client: ApiClient) -> None:
    """Delivering the same content again (another delivery id) changes nothing."""
    # given
    owner = await make_owner()
    store = await connect_webhooks(owner)
    customer = wc_customer()
    await deliver(
        client.http, key=store.public_id, secret=store.secret, topic="customer.created", payload=customer
    )
    # when
    again = await deliver(
        client.http,
        key=store.public_id,
        secret=store.secret,
        topic="customer.created",
        payload=customer,
        delivery_id="another-delivery",
    )
    # then
    assert again.status_code == 200
    assert (again.json()["accepted"], again.json()["duplicates"]) == (0, 1)
    assert await IngestedEvent.filter(tenant_id=owner.tenant.id).count() == 1


async def test_a_wrong_or_missing_signature_is_refused_and_nothing_is_stored(client: ApiClient) -> None:
    """401 for another secret's signature and for no signature at all."""
    # given
    owner = await make_owner()
    store = await connect_webhooks(owner)
    body = encode(wc_order())
    url = f"{WEBHOOK_PATH}?key={store.public_id}"
    # when
    forged = await deliver(
        client.http, key=store.public_id, secret="guessed", topic="order.updated", payload=wc_order()
    )
    unsigned = await client.http.post(url, content=body, headers={"X-WC-Webhook-Topic": "order.updated"})
    # then
    assert forged.status_code == unsigned.status_code == 401
    assert forged.json()["error"]["code"] == "INVALID_SIGNATURE"
    assert await IngestedEvent.all().count() == 0


async def test_a_revoked_or_rotated_key_is_refused(client: ApiClient) -> None:
    """Revoking or rotating the key retires its webhook secret: its deliveries get 401."""
    # given
    owner = await make_owner()
    revoked = await connect_webhooks(owner, "revoked")
    rotated = await connect_webhooks(owner, "rotated")
    await tenancy.revoke_store_key(tenant_id=owner.tenant.id, key_id=revoked.key_id)
    await tenancy.rotate_store_key(tenant_id=owner.tenant.id, key_id=rotated.key_id)
    # when
    answers = [
        await deliver(
            client.http, key=store.public_id, secret=store.secret, topic="order.updated", payload=wc_order()
        )
        for store in (revoked, rotated)
    ]
    # then
    assert [answer.status_code for answer in answers] == [401, 401]
    assert await IngestedEvent.all().count() == 0


async def test_unknown_keys_and_keys_without_a_webhook_secret_are_refused(client: ApiClient) -> None:
    """A made-up key, no key, or a plugin key never given a webhook secret: 401."""
    # given
    owner = await make_owner()
    plugin_key = (await make_store_key(owner)).split("_")[1]
    # when
    answers = [
        await deliver(client.http, key=key, secret="whatever", topic="order.updated", payload=wc_order())
        for key in ("0000000000000000", "", plugin_key)
    ]
    # then
    assert [answer.status_code for answer in answers] == [401, 401, 401]
    assert {answer.json()["error"]["code"] for answer in answers} == {"UNAUTHENTICATED"}


async def test_a_secret_sealed_under_another_server_secret_key_is_refused(client: ApiClient) -> None:
    """After REVISIT_SECRET_KEY changes, old webhook secrets no longer open: 401 until a new one is made."""
    # given: a secret sealed under some other server secret key than the app's
    owner = await make_owner()
    key, _ = await tenancy.create_store_key(tenant_id=owner.tenant.id, name="k")
    async with in_transaction():
        _, secret = await webhooks.create_webhook_secret(
            tenant_id=owner.tenant.id,
            key_id=key.id,
            encryption_key=webhooks.encryption_key("old server secret"),
        )
    # when
    answer = await deliver(
        client.http, key=key.public_id, secret=secret, topic="order.updated", payload=wc_order()
    )
    # then
    assert answer.status_code == 401
    assert await IngestedEvent.all().count() == 0


async def test_woocommerces_ping_is_answered_200_and_stores_nothing(client: ApiClient) -> None:
    """Saving a webhook sends form body webhook_id=<n>: 200 for a known key, unsigned or rightly signed."""
    # given
    owner = await make_owner()
    store = await connect_webhooks(owner)
    url = f"{WEBHOOK_PATH}?key={store.public_id}"
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    # when
    unsigned = await client.http.post(url, content=b"webhook_id=12", headers=form)
    signed = await client.http.post(
        url,
        content=b"webhook_id=12",
        headers={**form, "X-WC-Webhook-Signature": signature(b"webhook_id=12", store.secret)},
    )
    wrongly_signed = await client.http.post(
        url,
        content=b"webhook_id=12",
        headers={**form, "X-WC-Webhook-Signature": signature(b"x", store.secret)},
    )
    unknown_key = await client.http.post(f"{WEBHOOK_PATH}?key=nope", content=b"webhook_id=12", headers=form)
    # then
    assert (unsigned.status_code, signed.status_code) == (200, 200)
    assert unsigned.json() == {"ping": "ok"}
    assert (wrongly_signed.status_code, unknown_key.status_code) == (401, 401)
    assert await IngestedEvent.all().count() == 0


async def test_deletions_are_answered_200_and_ignored(client: ApiClient) -> None:
    """order.deleted carries only the id; it is accepted so WooCommerce keeps the webhook, and ignored."""
    # given
    owner = await make_owner()
    store = await connect_webhooks(owner)
    # when
    response = await deliver(
        client.http, key=store.public_id, secret=store.secret, topic="order.deleted", payload={"id": 1042}
    )
    # then
    assert response.status_code == 200
    assert response.json() == {"accepted": 0, "duplicates": 0, "rejected": 0, "ignored": True, "results": []}
    assert await IngestedEvent.all().count() == 0


async def test_a_rejected_event_is_still_answered_200_with_the_reason(client: ApiClient) -> None:
    """WooCommerce never retries and disables failing webhooks, so a bad order is 200 with its reason."""
    # given
    owner = await make_owner()
    store = await connect_webhooks(owner)
    # when
    bad_order = await deliver(
        client.http,
        key=store.public_id,
        secret=store.secret,
        topic="order.updated",
        payload=wc_order(currency="toman", refunds=[]),
    )
    not_a_resource = await deliver(
        client.http, key=store.public_id, secret=store.secret, topic="order.updated", payload=[1, 2]
    )
    # then
    assert bad_order.status_code == not_a_resource.status_code == 200
    assert bad_order.json()["rejected"] == 1
    assert "data.currency" in bad_order.json()["results"][0]["reason"]
    assert not_a_resource.json()["results"] == [
        {
            "id": None,
            "status": "rejected",
            "reason": "The webhook body must be a JSON object (WooCommerce REST API v3).",
        }
    ]
    assert await IngestedEvent.all().count() == 0


async def test_a_signed_body_that_is_not_json_or_has_no_topic_is_a_400(client: ApiClient) -> None:
    """Authentic but unusable requests get a clear error."""
    # given
    owner = await make_owner()
    store = await connect_webhooks(owner)
    url = f"{WEBHOOK_PATH}?key={store.public_id}"
    # when
    not_json = await client.http.post(
        url,
        content=b"{oops",
        headers={
            "X-WC-Webhook-Topic": "order.updated",
            "X-WC-Webhook-Signature": signature(b"{oops", store.secret),
        },
    )
    body = encode(wc_order())
    no_topic = await client.http.post(
        url, content=body, headers={"X-WC-Webhook-Signature": signature(body, store.secret)}
    )
    # then
    assert (not_json.status_code, no_topic.status_code) == (400, 400)
    assert (not_json.json()["error"]["code"], no_topic.json()["error"]["code"]) == (
        "INVALID_JSON",
        "MISSING_TOPIC",
    )


async def test_one_stores_key_and_secret_never_reach_another_store(client: ApiClient) -> None:
    """Store A's key with A's secret lands in A only; A's key with B's secret, or B's with A's, is refused."""
    # given
    store_a, store_b = await make_owner(store="A"), await make_owner(store="B")
    a, b = await connect_webhooks(store_a), await connect_webhooks(store_b)
    # when
    own = await deliver(
        client.http, key=a.public_id, secret=a.secret, topic="order.updated", payload=wc_order()
    )
    crossed = [
        await deliver(client.http, key=key, secret=secret, topic="order.updated", payload=wc_order())
        for key, secret in ((a.public_id, b.secret), (b.public_id, a.secret))
    ]
    # then
    assert own.status_code == 200
    assert [answer.status_code for answer in crossed] == [401, 401]
    assert await IngestedEvent.filter(tenant_id=store_a.tenant.id).count() == 2
    assert await IngestedEvent.filter(tenant_id=store_b.tenant.id).count() == 0


async def test_a_store_key_cannot_ingest_webhooks_into_another_store_through_graphql(
    client: ApiClient,
) -> None:
    """The mutation behind the route is bound to the key's store like every other: FORBIDDEN elsewhere."""
    # given
    victim = await make_owner(store="Victim")
    intruder_key = await make_store_key(await make_owner(store="Intruder"))
    # when
    result = await client.graphql(INGEST, {"t": victim.tenant_id, "payload": wc_order()}, token=intruder_key)
    # then
    assert result.error_codes() == ["FORBIDDEN"]
    assert await IngestedEvent.all().count() == 0


async def test_the_openapi_description_documents_the_webhook_route(client: ApiClient) -> None:
    """The route is in the spec, authenticated by signature rather than a bearer key, refs resolving."""
    # when
    spec = (await client.http.get("/rest/v1/openapi.json")).json()
    # then
    operation = spec["paths"][WEBHOOK_PATH]["post"]
    assert operation["security"] == []
    assert {parameter["name"] for parameter in operation["parameters"]} >= {"key", "X-WC-Webhook-Signature"}
    assert "EventResult" in spec["components"]["schemas"] and "Error" in spec["components"]["schemas"]
