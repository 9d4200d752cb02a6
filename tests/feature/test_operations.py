"""Health, readiness, request ids, query limits and the federation contract."""

from __future__ import annotations

from domain.customers.models import Customer
from domain.events.processing import process_pending
from domain.events.service import store_events
from tests.support.api import ApiClient
from tests.support.events import NOW, order
from tests.support.factories import make_owner


async def test_health_and_readiness_report_the_real_services(client: ApiClient) -> None:
    """/healthz answers; /readyz checks PostgreSQL and Redis for real."""
    # when
    health = await client.http.get("/healthz")
    ready = await client.http.get("/readyz")
    # then
    assert health.json() == {"status": "ok"}
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "database": "ok", "redis": "ok"}


async def test_every_response_carries_the_request_id(client: ApiClient) -> None:
    """A client's X-Request-ID is echoed back; without one, the server makes one."""
    # when
    given = await client.http.get("/healthz", headers={"X-Request-ID": "abc-123"})
    made = await client.http.get("/healthz")
    # then
    assert given.headers["x-request-id"] == "abc-123"
    assert len(made.headers["x-request-id"]) == 32


async def test_the_schema_is_a_federation_v2_subgraph_with_entities_keyed_by_id(client: ApiClient) -> None:
    """A gateway can compose Revisit: _service.sdl links federation 2.11 and Tenant is an entity."""
    # when
    sdl = (await client.graphql("query { _service { sdl } }")).ok()["_service"]["sdl"]
    # then
    assert "https://specs.apollo.dev/federation/v2.11" in sdl
    assert 'type Tenant @key(fields: "id")' in sdl


ENTITIES = """
query($reps: [_Any!]!) {
  _entities(representations: $reps) {
    ... on Tenant { id name }
    ... on Customer { id phone }
  }
}
"""


async def test_entity_references_resolve_only_for_principals_allowed_to_read_them(client: ApiClient) -> None:
    """A gateway resolves a store and its customer for its owner; for another store's owner, null."""
    # given
    owner = await make_owner(store="Mine")
    stranger = await make_owner(store="Other")
    await store_events(
        tenant_id=owner.tenant.id,
        source="api",
        raw_events=[order("e-1", status="completed", at="2026-11-20T10:00:00+03:30")],
    )
    await process_pending(tenant_id=owner.tenant.id, now=NOW)
    customer = await Customer.get(tenant_id=owner.tenant.id)
    reps = [
        {"__typename": "Tenant", "id": owner.tenant_id},
        {"__typename": "Customer", "id": str(customer.id)},
    ]
    # when
    as_owner = (await client.graphql(ENTITIES, {"reps": reps}, token=owner.token)).ok()["_entities"]
    as_stranger = (await client.graphql(ENTITIES, {"reps": reps}, token=stranger.token)).ok()["_entities"]
    # then
    assert as_owner == [
        {"id": owner.tenant_id, "name": "Mine"},
        {"id": str(customer.id), "phone": "+989121234567"},
    ]
    assert as_stranger == [None, None]
