"""ingestEvents through GraphQL: the batch rules are the domain's (the same answers REST gives), and
accepted events wake a worker through the app's wake-ups, while a batch with nothing new wakes nobody."""

from __future__ import annotations

from arq.connections import ArqRedis

from tests.support.api import ApiClient
from tests.support.events import order
from tests.support.factories import make_owner

INGEST = """
mutation($events: [JSON!]!) {
  ingestEvents(events: $events) { accepted duplicates rejected errors { code field message } }
}
"""


async def _wakeups(redis: ArqRedis) -> list[str]:
    return [job.args[0] for job in await redis.queued_jobs() if job.function == "process_events"]


async def test_an_empty_batch_is_invalid_naming_events(client: ApiClient, redis: ArqRedis) -> None:
    """No events: INVALID on events, as data, and nothing stored or woken."""
    # given
    owner = await make_owner()
    # when
    result = await client.graphql(INGEST, {"events": []}, token=owner.token)
    # then
    assert result.ok()["ingestEvents"] == {
        "accepted": 0,
        "duplicates": 0,
        "rejected": 0,
        "errors": [{"code": "INVALID", "field": "events", "message": "Send at least one event."}],
    }
    assert await _wakeups(redis) == []


async def test_a_batch_over_500_events_is_batch_too_large(client: ApiClient, redis: ArqRedis) -> None:
    """501 events: BATCH_TOO_LARGE on events, and not one of them stored."""
    # given
    owner = await make_owner()
    events = [
        order(f"e-{number}", status="completed", at="2026-11-20T10:00:00+03:30") for number in range(501)
    ]
    # when
    result = await client.graphql(INGEST, {"events": events}, token=owner.token)
    # then
    assert result.ok()["ingestEvents"]["errors"] == [
        {"code": "BATCH_TOO_LARGE", "field": "events", "message": "At most 500 events per batch; split it."}
    ]
    again = await client.graphql(INGEST, {"events": events[:1]}, token=owner.token)
    assert again.ok()["ingestEvents"]["accepted"] == 1
    assert await _wakeups(redis) == [owner.tenant_id]


async def test_accepted_events_wake_a_worker_for_their_store(client: ApiClient, redis: ArqRedis) -> None:
    """An accepted event queues process_events for the store; a batch of duplicates queues nothing more."""
    # given
    owner = await make_owner()
    events = [order("e-1", status="completed", at="2026-11-20T10:00:00+03:30")]
    await client.graphql(INGEST, {"events": events}, token=owner.token)
    woken = await _wakeups(redis)
    await redis.flushdb()
    # when
    duplicate = await client.graphql(INGEST, {"events": events}, token=owner.token)
    # then
    assert woken == [owner.tenant_id]
    assert duplicate.ok()["ingestEvents"]["duplicates"] == 1
    assert await _wakeups(redis) == []
