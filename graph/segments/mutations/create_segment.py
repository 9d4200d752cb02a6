"""createSegment: a condition segment, refreshed at once, or an empty static list."""

from __future__ import annotations

from datetime import UTC, datetime

import strawberry
from strawberry.scalars import JSON
from tortoise.transactions import in_transaction

from domain.segments import service as segments
from graph.core.context import Info
from graph.core.ids import optional_uuid
from graph.segments.types import DEFINITION_HELP, WRITE, Segment, SegmentPayload, segment_errors


@strawberry.input(description="A new segment: conditions, or none for a static list.")
class SegmentInput:
    name: str
    description: str = ""
    definition: JSON | None = strawberry.field(
        default=None, description=DEFINITION_HELP + " Leave it out for a static list."
    )


@strawberry.type
class CreateSegmentMutation:
    @strawberry.mutation(
        description=(
            "Create a segment. Its members are computed before the answer comes; the same name and "
            "conditions again answer with the segment already made."
        ),
        permission_classes=WRITE,
        extensions=segment_errors(),
    )
    async def create_segment(
        self, info: Info, input: SegmentInput, tenant_id: strawberry.ID | None = None
    ) -> SegmentPayload:
        scope = info.context.require_tenant(optional_uuid(tenant_id))
        async with in_transaction():
            segment = await segments.create(
                tenant_id=scope,
                name=input.name,
                description=input.description,
                definition=input.definition,
                now=datetime.now(UTC),
            )
        return SegmentPayload(segment=Segment.from_model(segment))
