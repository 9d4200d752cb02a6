"""POST /rest/v1/events as a plugin calls it: per-event results, duplicates, rejections, auth."""

from __future__ import annotations

from typing import Any

from domain.events.models import IngestedEvent
from tests.support.api import ApiClient
from tests.support.factories import make_owner, make_store_key


def order_event(event_id: str, *, status: str = "completed", total: str = "1250000") -> dict[str, Any]:
    return {
        "id": event_id,
        "type": "order.updated",
        "occurred_at": "2026-11-20T10:00:00+03:30",
        "data": {
            "external_id": "1042",
            "status": status,
            "currency": "IRT",
            "total": total,
            "customer": {"external_id": "57", "phone": "09121234567", "first_name": "سارا"},
        },
    }


async def test_a_batch_is_answered_per_event_and_one_bad_event_rejects_only_itself(client: ApiClient) -> None:
    """Good events are accepted, the bad one is rejected with its field path, all in one 202."""
    # given
    owner = await make_owner()
    key = await make_store_key(owner)
    bad = order_event("e-2")
    bad["data"]["total"] = "-5"
    # when
    response = await client.http.post(
        "/rest/v1/events",
        json={"events": [order_event("e-1"), bad, {"id": "e-3", "type": "nope"}]},
        headers={"Authorization": f"Bearer {key}"},
    )
    # then
    assert response.status_code == 202
    body = response.json()
    assert (body["accepted"], body["duplicates"], body["rejected"]) == (1, 0, 2)
    statuses = [(result["id"], result["status"]) for result in body["results"]]
    assert statuses == [("e-1", "accepted"), ("e-2", "rejected"), ("e-3", "rejected")]
    assert "data.total" in body["results"][1]["reason"]
    assert await IngestedEvent.filter(tenant_id=owner.tenant.id).count() == 1


async def test_sending_the_same_event_twice_is_a_duplicate_that_changes_nothing(client: ApiClient) -> None:
    """Retrying a batch is safe: the second time every event is a duplicate."""
    # given
    owner = await make_owner()
    headers = {"Authorization": f"Bearer {await make_store_key(owner)}"}
    batch = {"events": [order_event("e-1"), order_event("e-1")]}
    # when
    first = (await client.http.post("/rest/v1/events", json=batch, headers=headers)).json()
    second = (await client.http.post("/rest/v1/events", json=batch, headers=headers)).json()
    # then
    assert [r["status"] for r in first["results"]] == ["accepted", "duplicate"]
    assert [r["status"] for r in second["results"]] == ["duplicate", "duplicate"]
    assert await IngestedEvent.filter(tenant_id=owner.tenant.id).count() == 1


async def test_without_a_valid_store_key_nothing_is_stored(client: ApiClient) -> None:
    """No key or a made-up key is 401 and stores nothing."""
    # given
    batch = {"events": [order_event("e-1")]}
    # when
    missing = await client.http.post("/rest/v1/events", json=batch)
    forged = await client.http.post(
        "/rest/v1/events", json=batch, headers={"Authorization": "Bearer rvk_0000000000000000_nope"}
    )
    # then
    assert missing.status_code == forged.status_code == 401
    assert await IngestedEvent.all().count() == 0


async def test_malformed_bodies_get_clear_errors(client: ApiClient) -> None:
    """Not JSON → 400; no events list → 422; over 500 events → 413; nothing stored."""
    # given
    owner = await make_owner()
    headers = {"Authorization": f"Bearer {await make_store_key(owner)}"}
    # when
    not_json = await client.http.post("/rest/v1/events", content=b"{oops", headers=headers)
    no_list = await client.http.post("/rest/v1/events", json={"event": []}, headers=headers)
    too_many = await client.http.post(
        "/rest/v1/events", json={"events": [order_event(f"e-{i}") for i in range(501)]}, headers=headers
    )
    # then
    assert (not_json.status_code, no_list.status_code, too_many.status_code) == (400, 422, 413)
    assert too_many.json()["error"]["code"] == "BATCH_TOO_LARGE"
    assert await IngestedEvent.all().count() == 0


async def test_the_openapi_description_is_generated_from_the_event_models(client: ApiClient) -> None:
    """The spec is OpenAPI 3.1 and documents the events route with the real schemas."""
    # when
    spec = (await client.http.get("/rest/v1/openapi.json")).json()
    docs = await client.http.get("/rest/docs")
    # then
    assert spec["openapi"] == "3.1.0"
    assert "post" in spec["paths"]["/rest/v1/events"]
    assert "OrderData" in spec["components"]["schemas"]
    assert docs.status_code == 200 and "swagger-ui" in docs.text
