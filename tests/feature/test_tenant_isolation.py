"""A principal of one store gets nothing of another store, whichever way it asks."""

from __future__ import annotations

import pytest

from domain.events.processing import process_pending
from domain.events.service import store_events
from domain.tenancy import service as tenancy
from tests.support.api import ApiClient
from tests.support.events import NOW, order
from tests.support.factories import Owner, make_owner, make_store_key

QUERIES = {
    "tenant": "query($t: ID) { tenant(tenantId: $t) { id } }",
    "storeKeys": "query($t: ID) { storeKeys(tenantId: $t) { id } }",
    "customers": "query($t: ID) { customers(tenantId: $t) { edges { node { id } } } }",
    "orders": "query($t: ID) { orders(tenantId: $t) { edges { node { id } } } }",
    "ingestedEvents": "query($t: ID) { ingestedEvents(tenantId: $t) { edges { node { id } } } }",
    "creditQuote": (
        'query($t: ID) { creditQuote(customer: {phone: "09121234567"}, cartTotal: "1000", currency: "IRT",'
        " tenantId: $t) { quote { available } } }"
    ),
    "validateCoupon": (
        'query($t: ID) { validateCoupon(code: "X", customer: {phone: "09121234567"}, cartTotal: "1000",'
        ' currency: "IRT", tenantId: $t) { check { valid } } }'
    ),
}
MUTATIONS = {
    "createStoreKey": 'mutation($t: ID) { createStoreKey(name: "x", tenantId: $t) { token } }',
    "ingestEvents": 'mutation($t: ID) { ingestEvents(events: [{id: "x"}], tenantId: $t) { accepted } }',
    "replayEvents": 'mutation($t: ID) { replayEvents(ids: ["1"], tenantId: $t) { requeued } }',
    "releaseCredit": (
        'mutation($t: ID) { releaseCredit(orderExternalId: "1042", tenantId: $t) { errors { code } } }'
    ),
    "ingestWooCommerceWebhook": (
        'mutation($t: ID) { ingestWooCommerceWebhook(topic: "order.updated", payload: {}, tenantId: $t)'
        " { accepted } }"
    ),
}


async def _victim_with_data() -> Owner:
    victim = await make_owner(store="Victim")
    await store_events(
        tenant_id=victim.tenant.id,
        source="api",
        raw_events=[order("e-1", status="completed", at="2026-11-20T10:00:00+03:30")],
    )
    await process_pending(tenant_id=victim.tenant.id, now=NOW)
    return victim


@pytest.mark.parametrize("name", sorted({**QUERIES, **MUTATIONS}))
async def test_another_stores_owner_is_forbidden_everything(client: ApiClient, name: str) -> None:
    """Naming the victim's tenant id as another owner is FORBIDDEN, never data."""
    # given
    victim = await _victim_with_data()
    intruder = await make_owner(store="Intruder")
    document = {**QUERIES, **MUTATIONS}[name]
    # when
    result = await client.graphql(document, {"t": victim.tenant_id}, token=intruder.token)
    # then
    assert result.error_codes() == ["FORBIDDEN"]
    assert not result.data or result.data.get(name) is None


@pytest.mark.parametrize("name", sorted({**QUERIES, **MUTATIONS}))
async def test_another_stores_key_is_forbidden_everything(client: ApiClient, name: str) -> None:
    """A store key is bound to its store: pointing it at another tenant is FORBIDDEN."""
    # given
    victim = await _victim_with_data()
    key = await make_store_key(await make_owner(store="Intruder"))
    document = {**QUERIES, **MUTATIONS}[name]
    # when
    result = await client.graphql(document, {"t": victim.tenant_id}, token=key)
    # then
    assert result.error_codes() == ["FORBIDDEN"]


async def test_an_owner_lists_only_their_own_stores_rows(client: ApiClient) -> None:
    """Without naming a tenant, an owner reads their own store: the other store's rows never appear."""
    # given
    await _victim_with_data()
    owner = await make_owner()
    # when
    data = {
        name: (await client.graphql(doc, {}, token=owner.token)).ok()[name] for name, doc in QUERIES.items()
    }
    # then
    assert data["customers"]["edges"] == data["orders"]["edges"] == data["ingestedEvents"]["edges"] == []
    assert data["tenant"]["id"] == owner.tenant_id


async def test_anonymous_callers_get_nothing(client: ApiClient) -> None:
    """No credentials: every tenant-scoped field is UNAUTHENTICATED."""
    # given
    victim = await _victim_with_data()
    # when
    results = [await client.graphql(doc, {"t": victim.tenant_id}) for doc in QUERIES.values()]
    # then
    assert all(result.error_codes() == ["UNAUTHENTICATED"] for result in results)


async def test_a_user_of_two_stores_must_say_which_one(client: ApiClient) -> None:
    """Roles in two stores, no tenantId or header: TENANT_REQUIRED; naming one of them works."""
    # given
    owner = await make_owner(store="First")
    second = await make_owner(store="Second")
    await tenancy.grant_role(user_id=owner.user.id, tenant_id=second.tenant.id, role="analyst")
    # when
    unsaid = await client.graphql(QUERIES["customers"], {}, token=owner.token)
    said = await client.graphql(QUERIES["tenant"], {"t": second.tenant_id}, token=owner.token)
    # then
    assert unsaid.error_codes() == ["TENANT_REQUIRED"]
    assert said.ok()["tenant"]["id"] == second.tenant_id
