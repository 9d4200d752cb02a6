"""Receiving events (the plugin's path) and looking at what was received."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.scalars import JSON

from domain.errors import DomainError
from domain.events import service as event_service
from domain.events.models import EVENT_STATUSES
from domain.events.models import IngestedEvent as IngestedEventModel
from domain.events.schema import MAX_BATCH_SIZE
from graph.core.context import Info
from graph.core.errors import errors_as_data
from graph.core.filters import one_of
from graph.core.ids import optional_uuid
from graph.core.pagination import Connection, paginate
from graph.core.permissions import Can
from graph.events.replay import replayable_ids
from graph.events.types import (
    IngestedEvent,
    IngestError,
    IngestErrorCode,
    IngestEventsPayload,
    ReplayEventsPayload,
)
from jobs.queue import enqueue_ingest

SOURCE_API = "api"


@strawberry.type
class Query:
    @strawberry.field(
        description=(
            "Events the store sent, newest first; filter by status (pending, waiting, processed or "
            "failed) to find failures. Any other status is INVALID."
        ),
        permission_classes=[Can("events", "read")],
    )
    async def ingested_events(
        self,
        info: Info,
        tenant_id: strawberry.ID | None = None,
        status: str | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[IngestedEvent]:
        scope = info.context.require_tenant(optional_uuid(tenant_id))
        queryset = IngestedEventModel.filter(tenant_id=scope)
        wanted = one_of(status, EVENT_STATUSES, field="status")
        if wanted:
            queryset = queryset.filter(status=wanted)
        return await paginate(
            queryset,
            first=first,
            after=after,
            cap=info.context.settings.page_size_cap,
            to_node=IngestedEvent.from_model,
            time_field="received_at",
        )


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description=(
            "Send up to 500 store events. Each is validated on its own and answered accepted, duplicate "
            "(its id was received before) or rejected with a reason. Accepted events are processed shortly."
        ),
        permission_classes=[Can("events", "write")],
        extensions=errors_as_data(IngestEventsPayload, IngestError, IngestErrorCode),
    )
    async def ingest_events(
        self, info: Info, events: list[JSON], tenant_id: strawberry.ID | None = None
    ) -> IngestEventsPayload:
        scope = info.context.require_tenant(optional_uuid(tenant_id))
        if not events:
            raise DomainError("INVALID", "Send at least one event.", field="events")
        if len(events) > MAX_BATCH_SIZE:
            raise DomainError(
                "BATCH_TOO_LARGE", f"At most {MAX_BATCH_SIZE} events per batch; split it.", field="events"
            )
        raw: list[Any] = list(events)
        result = await event_service.store_events(tenant_id=scope, source=SOURCE_API, raw_events=raw)
        if result.accepted and info.context.queue is not None:
            await enqueue_ingest(info.context.queue, scope)
        return IngestEventsPayload.from_result(result)

    @strawberry.mutation(
        description=(
            f"Process failed events again, after their cause was fixed (at most {MAX_BATCH_SIZE} ids). "
            "Returns how many were queued; events that had not failed are left as they are. An id that "
            "is not one of the store's events is NOT_FOUND, and then nothing is queued."
        ),
        permission_classes=[Can("events", "write")],
        extensions=errors_as_data(ReplayEventsPayload, IngestError, IngestErrorCode),
    )
    async def replay_events(
        self, info: Info, ids: list[strawberry.ID], tenant_id: strawberry.ID | None = None
    ) -> ReplayEventsPayload:
        scope = info.context.require_tenant(optional_uuid(tenant_id))
        wanted = await replayable_ids(scope, [str(value) for value in ids])
        requeued = await event_service.replay(tenant_id=scope, event_ids=wanted)
        if requeued and info.context.queue is not None:
            await enqueue_ingest(info.context.queue, scope)
        return ReplayEventsPayload(requeued=requeued)
