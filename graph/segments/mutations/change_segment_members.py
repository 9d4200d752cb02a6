"""addSegmentMembers / removeSegmentMembers: the hand-kept members of a static list."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from uuid import UUID

import strawberry
from tortoise.transactions import in_transaction

from domain.segments import service as segments
from graph.core.context import Info
from graph.core.ids import optional_uuid, to_uuid
from graph.segments.types import WRITE, Segment, SegmentPayload, segment_errors

Change = Callable[..., Awaitable[int]]


async def _change(
    info: Info,
    change: Change,
    id: strawberry.ID,
    customer_ids: Sequence[strawberry.ID],
    tenant_id: strawberry.ID | None,
) -> SegmentPayload:
    scope = info.context.require_tenant(optional_uuid(tenant_id))
    segment_id = to_uuid(id, what="Segment")
    ids: list[UUID] = [to_uuid(value, what="Customer") for value in customer_ids]
    async with in_transaction():
        changed = await change(
            tenant_id=scope, segment_id=segment_id, customer_ids=ids, now=datetime.now(UTC)
        )
        segment = await segments.get(tenant_id=scope, segment_id=segment_id)
    return SegmentPayload(segment=Segment.from_model(segment), changed=changed)


@strawberry.type
class ChangeSegmentMembersMutation:
    @strawberry.mutation(
        description="Put customers in a static list (at most 10,000 per call; those already in stay once).",
        permission_classes=WRITE,
        extensions=segment_errors(),
    )
    async def add_segment_members(
        self,
        info: Info,
        id: strawberry.ID,
        customer_ids: list[strawberry.ID],
        tenant_id: strawberry.ID | None = None,
    ) -> SegmentPayload:
        return await _change(info, segments.add_members, id, customer_ids, tenant_id)

    @strawberry.mutation(
        description="Take customers out of a static list (their stay is closed, its history kept).",
        permission_classes=WRITE,
        extensions=segment_errors(),
    )
    async def remove_segment_members(
        self,
        info: Info,
        id: strawberry.ID,
        customer_ids: list[strawberry.ID],
        tenant_id: strawberry.ID | None = None,
    ) -> SegmentPayload:
        return await _change(info, segments.remove_members, id, customer_ids, tenant_id)
