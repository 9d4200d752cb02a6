"""ingestEvents: the plugin's path in — a batch of store events, each answered on its own."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.scalars import JSON

from domain.events import service as event_service
from graph.core.context import Info
from graph.core.errors import errors_as_data
from graph.core.ids import optional_uuid
from graph.core.metrics import count_received_events
from graph.core.permissions import Can
from graph.events.types import IngestError, IngestErrorCode, IngestEventsPayload
from graph.live import publishing as live


@strawberry.type
class IngestEventsMutation:
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
        # The batch rules (1 to 500 events: INVALID, BATCH_TOO_LARGE) are the domain's, as for REST.
        raw: list[Any] = list(events)
        result = await event_service.store_events(
            tenant_id=scope, source=event_service.SOURCE_API, raw_events=raw
        )
        count_received_events(event_service.SOURCE_API, result)
        if result.accepted:
            await info.context.wakeups.events_received(scope)
            await live.events_received(info.context, scope, result)
        return IngestEventsPayload.from_result(result)
