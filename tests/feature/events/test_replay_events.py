"""replayEvents through GraphQL: only the store's own events, named when they are not found."""

from __future__ import annotations

from domain.events.models import IngestedEvent
from domain.events.service import store_events
from tests.support.api import ApiClient
from tests.support.events import order
from tests.support.factories import Owner, make_owner

REPLAY = """
mutation Replay($ids: [ID!]!, $t: ID) {
  replayEvents(ids: $ids, tenantId: $t) { requeued errors { code field message } }
}
"""


async def failed_event(owner: Owner, event_id: str) -> IngestedEvent:
    """One of the owner's events, stored and then marked failed as processing would."""
    await store_events(
        tenant_id=owner.tenant.id,
        source="api",
        raw_events=[order(event_id, status="completed", at="2026-11-20T10:00:00+03:30")],
    )
    event = await IngestedEvent.get(tenant_id=owner.tenant.id, event_id=event_id)
    await IngestedEvent.filter(id=event.id).update(status="failed", error="customer missing")
    return event


async def test_a_failed_event_of_the_store_is_queued_again(client: ApiClient) -> None:
    """The store's own failed event goes back to pending, its error cleared; requeued counts it."""
    # given
    owner = await make_owner()
    event = await failed_event(owner, "e-1")
    # when
    result = await client.graphql(REPLAY, {"ids": [str(event.id)]}, token=owner.token)
    # then
    assert result.ok()["replayEvents"] == {"requeued": 1, "errors": []}
    stored = await IngestedEvent.get(id=event.id)
    assert (stored.status, stored.error) == ("pending", None)


async def test_unknown_ids_are_not_found_by_name_and_nothing_is_queued(client: ApiClient) -> None:
    """Asking for 999999 and "abc" next to a real failed event: NOT_FOUND naming both; it stays failed."""
    # given
    owner = await make_owner()
    event = await failed_event(owner, "e-1")
    # when
    result = await client.graphql(REPLAY, {"ids": [str(event.id), "999999", "abc"]}, token=owner.token)
    # then
    payload = result.ok()["replayEvents"]
    assert payload["requeued"] == 0
    [error] = payload["errors"]
    assert (error["code"], error["field"]) == ("NOT_FOUND", "ids")
    assert error["message"] == "No such events in this store: 999999, abc."
    assert (await IngestedEvent.get(id=event.id)).status == "failed"


async def test_another_stores_event_is_not_found_and_left_alone(client: ApiClient) -> None:
    """An owner naming another store's failed event gets NOT_FOUND; that event is still failed."""
    # given
    mine = await make_owner(store="Mine")
    theirs = await make_owner(store="Theirs")
    foreign = await failed_event(theirs, "e-9")
    # when
    result = await client.graphql(REPLAY, {"ids": [str(foreign.id)]}, token=mine.token)
    # then
    [error] = result.ok()["replayEvents"]["errors"]
    assert error["code"] == "NOT_FOUND" and str(foreign.id) in error["message"]
    assert (await IngestedEvent.get(id=foreign.id)).status == "failed"


async def test_an_empty_or_oversized_list_is_invalid(client: ApiClient) -> None:
    """No ids, or more than a batch's worth, are INVALID on ids."""
    # given
    owner = await make_owner()
    # when
    empty = await client.graphql(REPLAY, {"ids": []}, token=owner.token)
    huge = await client.graphql(REPLAY, {"ids": [str(n) for n in range(1, 502)]}, token=owner.token)
    # then
    for result in (empty, huge):
        [error] = result.ok()["replayEvents"]["errors"]
        assert (error["code"], error["field"]) == ("INVALID", "ids")


async def test_an_id_beyond_the_database_range_is_simply_not_found(client: ApiClient) -> None:
    """A 30-digit id does not reach PostgreSQL as an overflowing bigint: it is NOT_FOUND."""
    # given
    owner = await make_owner()
    # when
    result = await client.graphql(REPLAY, {"ids": ["9" * 30]}, token=owner.token)
    # then
    [error] = result.ok()["replayEvents"]["errors"]
    assert error["code"] == "NOT_FOUND"
