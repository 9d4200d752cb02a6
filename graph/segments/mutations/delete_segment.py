"""deleteSegment: delete a segment, refused while another segment or an automation uses it."""

from __future__ import annotations

import strawberry
from tortoise.transactions import in_transaction

from domain.segments import service as segments
from graph.core.context import Info
from graph.core.ids import optional_uuid, to_uuid
from graph.segments.types import WRITE, DeleteSegmentPayload, delete_errors


@strawberry.type
class DeleteSegmentMutation:
    @strawberry.mutation(
        description=(
            "Delete a segment and its history. Built-ins are refused, and so are segments in use "
            "(IN_USE names what uses them)."
        ),
        permission_classes=WRITE,
        extensions=delete_errors(),
    )
    async def delete_segment(
        self, info: Info, id: strawberry.ID, tenant_id: strawberry.ID | None = None
    ) -> DeleteSegmentPayload:
        scope = info.context.require_tenant(optional_uuid(tenant_id))
        segment_id = to_uuid(id, what="Segment")
        async with in_transaction():
            await segments.delete(tenant_id=scope, segment_id=segment_id)
        return DeleteSegmentPayload(deleted_id=strawberry.ID(str(segment_id)))
