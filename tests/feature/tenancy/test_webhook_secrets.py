"""Webhook secrets through GraphQL: made for a live key, shown once, stored sealed, replaced, refused."""

from __future__ import annotations

import base64

from domain.tenancy.models import WebhookSecret
from tests.support.api import ApiClient
from tests.support.factories import make_owner, make_store_key
from tests.support.woocommerce import deliver, wc_customer

CREATE_KEY = 'mutation { createStoreKey(name: "woocommerce") { token storeKey { id prefix } } }'
CREATE_SECRET = """
mutation Create($id: ID!) {
  createWebhookSecret(storeKeyId: $id) {
    secret deliveryPath storeKey { id prefix } errors { code field message }
  }
}
"""
REVOKE = "mutation($id: ID!) { revokeStoreKey(id: $id) { storeKey { revokedAt } } }"


async def _key(client: ApiClient, token: str) -> dict[str, str]:
    key: dict[str, str] = (await client.graphql(CREATE_KEY, token=token)).ok()["createStoreKey"]["storeKey"]
    return key


async def test_the_secret_is_shown_once_and_stored_only_sealed(client: ApiClient) -> None:
    """The payload has the secret and the delivery path; the row holds neither the secret nor its base64."""
    # given
    owner = await make_owner()
    key = await _key(client, owner.token)
    # when
    payload = (await client.graphql(CREATE_SECRET, {"id": key["id"]}, token=owner.token)).ok()[
        "createWebhookSecret"
    ]
    # then
    assert payload["errors"] == []
    secret = payload["secret"]
    assert len(secret) >= 43
    assert payload["deliveryPath"] == f"/rest/v1/woocommerce/webhook?key={key['prefix']}"
    row = await WebhookSecret.get(store_key_id=key["id"])
    assert row.tenant_id == owner.tenant.id  # type: ignore[attr-defined]
    stored = bytes(row.ciphertext)
    assert secret.encode() not in stored and base64.b64encode(secret.encode()) not in stored
    answer = await deliver(
        client.http, key=key["prefix"], secret=secret, topic="customer.created", payload=wc_customer()
    )
    assert answer.status_code == 200


async def test_making_a_new_secret_retires_the_old_one_at_once(client: ApiClient) -> None:
    """After a second createWebhookSecret, deliveries signed with the first secret are refused."""
    # given
    owner = await make_owner()
    key = await _key(client, owner.token)
    first = (await client.graphql(CREATE_SECRET, {"id": key["id"]}, token=owner.token)).ok()
    # when
    second = (await client.graphql(CREATE_SECRET, {"id": key["id"]}, token=owner.token)).ok()
    # then
    old, new = first["createWebhookSecret"]["secret"], second["createWebhookSecret"]["secret"]
    assert old != new
    answers = [
        await deliver(
            client.http, key=key["prefix"], secret=secret, topic="customer.created", payload=wc_customer()
        )
        for secret in (old, new)
    ]
    assert [answer.status_code for answer in answers] == [401, 200]
    assert await WebhookSecret.filter(store_key_id=key["id"]).count() == 1


async def test_revoked_unknown_and_foreign_keys_are_typed_errors(client: ApiClient) -> None:
    """A revoked key is REVOKED; a malformed id or another store's key is NOT_FOUND; nothing is made."""
    # given
    owner, other = await make_owner(), await make_owner()
    revoked = await _key(client, owner.token)
    await client.graphql(REVOKE, {"id": revoked["id"]}, token=owner.token)
    foreign = await _key(client, other.token)
    # when
    errors = [
        (await client.graphql(CREATE_SECRET, {"id": key_id}, token=owner.token)).ok()["createWebhookSecret"][
            "errors"
        ]
        for key_id in (revoked["id"], "not-a-uuid", foreign["id"])
    ]
    # then
    assert [[(e["code"], e["field"]) for e in error] for error in errors] == [
        [("REVOKED", "storeKeyId")],
        [("NOT_FOUND", "storeKeyId")],
        [("NOT_FOUND", "storeKeyId")],
    ]
    assert await WebhookSecret.all().count() == 0


async def test_a_store_key_may_not_make_webhook_secrets(client: ApiClient) -> None:
    """Only people who manage keys may: a store key asking is FORBIDDEN."""
    # given
    owner = await make_owner()
    key = await _key(client, owner.token)
    store_key = await make_store_key(owner)
    # when
    result = await client.graphql(CREATE_SECRET, {"id": key["id"]}, token=store_key)
    # then
    assert result.error_codes() == ["FORBIDDEN"]
    assert await WebhookSecret.all().count() == 0
