"""Store keys through GraphQL: made, listed, rotated, revoked; the secret shown once, stored hashed."""

from __future__ import annotations

from domain.tenancy.models import StoreKey
from tests.support.api import ApiClient
from tests.support.factories import make_owner

CREATE = """
mutation Create($name: String!) {
  createStoreKey(name: $name) { token storeKey { id name prefix revokedAt } errors { code field message } }
}
"""
LIST = "query { storeKeys { id name prefix revokedAt } }"
ROTATE = """
mutation Rotate($id: ID!) { rotateStoreKey(id: $id) { token storeKey { id } errors { code field } } }
"""
REVOKE = """
mutation Revoke($id: ID!) { revokeStoreKey(id: $id) { storeKey { id revokedAt } errors { code field } } }
"""
WHO = "query { tenant { id name } }"


async def test_owner_creates_a_key_whose_secret_is_only_stored_hashed(client: ApiClient) -> None:
    """The token comes back once; the database holds a hash, never the secret."""
    # given
    owner = await make_owner()
    # when
    result = await client.graphql(CREATE, {"name": "main site"}, token=owner.token)
    # then
    payload = result.ok()["createStoreKey"]
    assert payload["errors"] == []
    token = payload["token"]
    assert token.startswith("rvk_" + payload["storeKey"]["prefix"] + "_")
    stored = await StoreKey.get(id=payload["storeKey"]["id"])
    assert token.split("_", 2)[2] not in stored.secret_hash
    listed = (await client.graphql(LIST, token=owner.token)).ok()["storeKeys"]
    assert [key["name"] for key in listed] == ["main site"]
    assert "token" not in listed[0]


async def test_a_store_key_authenticates_as_its_own_store(client: ApiClient) -> None:
    """A live key reads its store; a rotated-away key is refused at once."""
    # given
    owner = await make_owner(store="Ketab")
    created = (await client.graphql(CREATE, {"name": "k"}, token=owner.token)).ok()["createStoreKey"]
    # when
    as_key = await client.graphql(WHO, token=created["token"])
    rotated = (await client.graphql(ROTATE, {"id": created["storeKey"]["id"]}, token=owner.token)).ok()
    old_key = await client.graphql(WHO, token=created["token"])
    new_key = await client.graphql(WHO, token=rotated["rotateStoreKey"]["token"])
    # then
    assert as_key.ok()["tenant"]["name"] == "Ketab"
    assert old_key.error_codes() == ["UNAUTHENTICATED"]
    assert new_key.ok()["tenant"]["name"] == "Ketab"


async def test_revoking_twice_is_harmless_and_unknown_ids_are_typed_errors(client: ApiClient) -> None:
    """Revoke is idempotent; a malformed or foreign id is NOT_FOUND as data, not an exception."""
    # given
    owner = await make_owner()
    created = (await client.graphql(CREATE, {"name": "k"}, token=owner.token)).ok()["createStoreKey"]
    key_id = created["storeKey"]["id"]
    # when
    first = (await client.graphql(REVOKE, {"id": key_id}, token=owner.token)).ok()["revokeStoreKey"]
    second = (await client.graphql(REVOKE, {"id": key_id}, token=owner.token)).ok()["revokeStoreKey"]
    bogus = (await client.graphql(REVOKE, {"id": "not-a-uuid"}, token=owner.token)).ok()["revokeStoreKey"]
    # then
    assert first["storeKey"]["revokedAt"] == second["storeKey"]["revokedAt"] is not None
    assert bogus["errors"] == [{"code": "NOT_FOUND", "field": "id"}]


async def test_an_empty_key_name_is_refused_and_nothing_is_created(client: ApiClient) -> None:
    """Bad input is a typed error that changes nothing."""
    # given
    owner = await make_owner()
    # when
    payload = (await client.graphql(CREATE, {"name": "  "}, token=owner.token)).ok()["createStoreKey"]
    # then
    assert payload["errors"] == [{"code": "INVALID", "field": "name", "message": "A key needs a name."}]
    assert await StoreKey.filter(tenant_id=owner.tenant.id).count() == 0
