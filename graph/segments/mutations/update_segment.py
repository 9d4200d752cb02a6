"""updateSegment: rename, describe or redefine a segment (a new definition is refreshed at once)."""

from __future__ import annotations

from datetime import UTC, datetime

import strawberry
from strawberry.scalars import JSON
from tortoise.transactions import in_transaction

from domain.segments import service as segments
from graph.core.context import Info
from graph.core.ids import optional_uuid, to_uuid
from graph.segments.types import DEFINITION_HELP, WRITE, Segment, SegmentPayload, segment_errors


@strawberry.input(description="What to change; what is left out stays.")
class SegmentChanges:
    name: str | None = None
    description: str | None = None
    definition: JSON | None = strawberry.field(default=None, description=DEFINITION_HELP)


@strawberry.type
class UpdateSegmentMutation:
    @strawberry.mutation(
        description="Change a segment. New conditions are a new revision and move members at once.",
        permission_classes=WRITE,
        extensions=segment_errors(),
    )
    async def update_segment(
        self, info: Info, id: strawberry.ID, input: SegmentChanges, tenant_id: strawberry.ID | None = None
    ) -> SegmentPayload:
        scope = info.context.require_tenant(optional_uuid(tenant_id))
        async with in_transaction():
            segment = await segments.update(
                tenant_id=scope,
                segment_id=to_uuid(id, what="Segment"),
                now=datetime.now(UTC),
                name=input.name,
                description=input.description,
                definition=input.definition,
            )
        return SegmentPayload(segment=Segment.from_model(segment))
