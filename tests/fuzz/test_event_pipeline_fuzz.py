"""Events at the edges of what validation takes, sent through REST and processed: nothing breaks.

Hostile text is refused at the door (tests/fuzz/test_rest_contract_fuzz.py). What is let in must then be
processable: an accepted event may fail for a business reason (an unsupported currency, an order it
refers to that is not known yet), with a typed error a person can read, but never with an unexpected
exception, which processing records as ``INTERNAL: <exception type>``.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest_asyncio
from hypothesis import event, given
from hypothesis import strategies as st

from domain.events.models import IngestedEvent
from domain.events.processing import process_pending
from tests.fuzz.hostile import FUZZ, edge_events, encode
from tests.support.api import ApiClient
from tests.support.events import NOW
from tests.support.factories import Owner, make_owner, make_store_key

BATCHES = itertools.count()
"""Numbers the batches of a run, so every example's event ids are new (not duplicates of the last)."""


@pytest_asyncio.fixture(loop_scope="session")
async def store(client: ApiClient) -> tuple[Owner, dict[str, str]]:
    """One store for all of a test's examples, and its store key's headers."""
    owner = await make_owner()
    headers = {"Authorization": f"Bearer {await make_store_key(owner)}", "Content-Type": "application/json"}
    return owner, headers


@FUZZ
@given(
    events=st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=4, unique=True).flatmap(
        lambda numbers: st.tuples(*(edge_events(f"e-{number}") for number in numbers))
    )
)
async def test_events_at_the_edges_are_answered_per_event_and_processed_without_internal_errors(
    client: ApiClient, store: tuple[Owner, dict[str, str]], events: tuple[dict[str, Any], ...]
) -> None:
    """Each event is accepted or rejected with a reason; processing the accepted ones never fails
    unexpectedly, and never stops the rest of the batch."""
    # given
    owner, headers = store
    batch = next(BATCHES)
    events = tuple({**item, "id": f"b{batch}-{item['id']}"} for item in events)
    # when
    response = await client.http.post(
        "/rest/v1/events", content=encode({"events": list(events)}), headers=headers
    )
    await process_pending(tenant_id=owner.tenant.id, now=NOW)
    # then
    assert response.status_code == 202, response.text[:500]
    results = response.json()["results"]
    assert len(results) == len(events)
    assert all(result["status"] != "rejected" or result["reason"] for result in results)
    for result in results:  # in --hypothesis-show-statistics: how deep the examples reached
        event(result["status"])
        if result["reason"]:
            event(f"rejected at {result['reason'].split(':')[0]}")
    broken = await IngestedEvent.filter(tenant_id=owner.tenant.id, error__startswith="INTERNAL").values(
        "event_id", "error", "payload"
    )
    assert not broken, broken
