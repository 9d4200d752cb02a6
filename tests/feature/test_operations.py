"""Health, readiness, request ids, query limits and the federation contract."""

from __future__ import annotations

from tests.support.api import ApiClient


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
