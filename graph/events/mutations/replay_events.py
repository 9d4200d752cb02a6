"""replayEvents: process failed events again, once their cause is fixed."""

from __future__ import annotations

import strawberry

from domain.events import service as event_service
from domain.events.schema import MAX_BATCH_SIZE
from graph.core.context import Info
from graph.core.errors import errors_as_data
from graph.core.ids import optional_uuid
from graph.core.permissions import Can
from graph.events.replay import replayable_ids
from graph.events.types import IngestError, IngestErrorCode, ReplayEventsPayload


@strawberry.type
class ReplayEventsMutation:
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
        if requeued:
            await info.context.wakeups.events_received(scope)
        return ReplayEventsPayload(requeued=requeued)
