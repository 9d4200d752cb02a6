"""Receiving events: validate each one, store the good ones in one statement, report per event."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

from tortoise import Tortoise

from domain.errors import DomainError, NotFound
from domain.events.models import IngestedEvent
from domain.events.schema import (
    MAX_BATCH_SIZE,
    EventBatchResult,
    EventResult,
    EventStatus,
    ValidatedEvent,
    validate_event,
)
from domain.text import storable_json

SOURCE_API = "api"
"""The source of events sent through the API (GraphQL or REST), as opposed to a platform's webhooks."""

# One statement for the whole batch; a repeat of a stored (tenant, source, event id) is skipped and
# reported as a duplicate. The arrays keep the parameter count fixed whatever the batch size.
_INSERT = """
INSERT INTO ingested_events
    (tenant_id, source, event_id, type, occurred_at, payload, status, attempts, received_at)
SELECT $1, $2, e.event_id, e.type, e.occurred_at, e.payload::jsonb, 'pending', 0, now()
FROM unnest($3::text[], $4::text[], $5::timestamptz[], $6::text[]) AS e(event_id, type, occurred_at, payload)
ON CONFLICT (tenant_id, source, event_id) DO NOTHING
RETURNING event_id
"""


async def store_events(
    *, tenant_id: UUID, source: str, raw_events: Sequence[Mapping[str, Any]]
) -> EventBatchResult:
    """Validate and store a batch: the one way events enter Revisit (API, REST, webhooks).

    A batch holds 1 to ``MAX_BATCH_SIZE`` events (else ``INVALID`` / ``BATCH_TOO_LARGE``, and nothing
    is stored). Bad events are rejected one by one; the rest are stored for processing.
    """
    if not raw_events:
        raise DomainError("INVALID", "Send at least one event.", field="events")
    if len(raw_events) > MAX_BATCH_SIZE:
        raise DomainError(
            "BATCH_TOO_LARGE", f"At most {MAX_BATCH_SIZE} events per batch; split it.", field="events"
        )
    results: list[EventResult | None] = [None] * len(raw_events)
    to_store: dict[str, tuple[int, ValidatedEvent, str]] = {}
    for index, raw in enumerate(raw_events):
        text = storable_json(raw) if isinstance(raw, Mapping) else None  # stored as is when valid
        outcome = validate_event(raw, known_storable=text is not None)
        if not isinstance(outcome, ValidatedEvent):
            results[index] = outcome.as_result()
        elif outcome.id in to_store:
            results[index] = EventResult(id=outcome.id, status=EventStatus.DUPLICATE)
        else:
            to_store[outcome.id] = (index, outcome, text or json.dumps(raw, ensure_ascii=False, default=str))
    inserted = await _insert(tenant_id, source, list(to_store.values())) if to_store else set()
    for event_id, (index, _, _) in to_store.items():
        status = EventStatus.ACCEPTED if event_id in inserted else EventStatus.DUPLICATE
        results[index] = EventResult(id=event_id, status=status)
    return EventBatchResult.from_results([result for result in results if result is not None])


async def _insert(tenant_id: UUID, source: str, events: list[tuple[int, ValidatedEvent, str]]) -> set[str]:
    connection = Tortoise.get_connection("default")
    rows = await connection.execute_query_dict(
        _INSERT,
        [
            tenant_id,
            source,
            [validated.id for _, validated, _ in events],
            [validated.type.value for _, validated, _ in events],
            [validated.event.occurred_at for _, validated, _ in events],
            [text for _, _, text in events],
        ],
    )
    return {row["event_id"] for row in rows}


async def replay(*, tenant_id: UUID, event_ids: Sequence[int]) -> int:
    """Put failed events back in line for processing (after the cause was fixed). Returns how many."""
    return await IngestedEvent.filter(tenant_id=tenant_id, id__in=list(event_ids), status="failed").update(
        status="pending", error=None
    )


async def get(*, tenant_id: UUID, event_id: int) -> IngestedEvent:
    event = await IngestedEvent.get_or_none(id=event_id, tenant_id=tenant_id)
    if event is None:
        raise NotFound("Event")
    return event
