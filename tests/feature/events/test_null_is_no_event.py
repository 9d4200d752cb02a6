"""JSON null where an event or a webhook body belongs: refused like any other non-object, never a 500.

Both were found by the fuzz tests (tests/fuzz): GraphQL's non-null JSON cannot carry null, and the
REST routes used to hand it on and answer "Internal error.".
"""

from __future__ import annotations

from domain.events.models import IngestedEvent
from tests.support.api import ApiClient
from tests.support.factories import make_owner, make_store_key
from tests.support.woocommerce import WEBHOOK_PATH, connect_webhooks, signature

GOOD_EVENT = {
    "id": "e-1",
    "type": "customer.created",
    "occurred_at": "2026-11-20T10:00:00+03:30",
    "data": {"external_id": "57", "phone": "09121234567"},
}


async def test_a_null_in_a_batch_is_rejected_alone_and_the_rest_is_stored(client: ApiClient) -> None:
    """`{"events": [null, <valid>]}` is a 202: the null rejected as no object, the valid event accepted."""
    # given
    owner = await make_owner()
    headers = {"Authorization": f"Bearer {await make_store_key(owner)}"}
    # when
    response = await client.http.post("/rest/v1/events", json={"events": [None, GOOD_EVENT]}, headers=headers)
    # then
    assert response.status_code == 202
    results = response.json()["results"]
    assert results[0] == {"id": None, "status": "rejected", "reason": "An event must be a JSON object."}
    assert results[1] == {"id": "e-1", "status": "accepted", "reason": None}
    assert await IngestedEvent.filter(tenant_id=owner.tenant.id).count() == 1


async def test_a_signed_null_webhook_body_is_answered_as_a_rejected_event(client: ApiClient) -> None:
    """An authentic delivery whose body is `null` is a 200 with one rejection, like any non-object body."""
    # given
    owner = await make_owner()
    store = await connect_webhooks(owner)
    body = b"null"
    # when
    response = await client.http.post(
        WEBHOOK_PATH,
        params={"key": store.public_id},
        content=body,
        headers={
            "Content-Type": "application/json",
            "X-WC-Webhook-Topic": "order.updated",
            "X-WC-Webhook-Signature": signature(body, store.secret),
        },
    )
    # then
    assert response.status_code == 200
    answer = response.json()
    assert (answer["accepted"], answer["rejected"]) == (0, 1)
    assert "must be a JSON object" in answer["results"][0]["reason"]
    assert await IngestedEvent.filter(tenant_id=owner.tenant.id).count() == 0
