"""Events queries: what the store sent, and what processing made of it."""

from __future__ import annotations

import strawberry

from domain.events.models import EVENT_STATUSES
from domain.events.models import IngestedEvent as IngestedEventModel
from graph.core.context import Info
from graph.core.filters import one_of
from graph.core.ids import optional_uuid
from graph.core.pagination import Connection, paginate
from graph.core.permissions import Can
from graph.events.types import IngestedEvent


@strawberry.type
class EventsQuery:
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
