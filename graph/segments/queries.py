"""Segment queries: the store's segments, one segment, a preview of conditions, what the store has learnt."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import strawberry
from strawberry.scalars import JSON

from domain.errors import NotFound
from domain.intelligence.models import StoreIntelligence as StoreIntelligenceModel
from domain.messaging import pricing
from domain.segments import service as segments
from domain.segments.models import Segment as SegmentModel
from domain.segments.preview import preview
from graph.core.context import Info
from graph.core.ids import optional_uuid, to_uuid
from graph.core.pagination import Connection, paginate
from graph.core.permissions import Can
from graph.core.scalars import Money
from graph.customers.types import Customer
from graph.segments.types import (
    DEFINITION_HELP,
    READ,
    Segment,
    SegmentKind,
    SegmentPreview,
    StoreIntelligence,
)


@strawberry.type
class SegmentQuery:
    @strawberry.field(
        description="The store's segments, newest first; optionally of one kind.", permission_classes=READ
    )
    async def segments(
        self,
        info: Info,
        tenant_id: strawberry.ID | None = None,
        kind: SegmentKind | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Segment]:
        scope = info.context.require_tenant(optional_uuid(tenant_id))
        queryset = SegmentModel.filter(tenant_id=scope)
        if kind is not None:
            queryset = queryset.filter(kind=kind.value)
        return await paginate(
            queryset,
            first=first,
            after=after,
            cap=info.context.settings.page_size_cap,
            to_node=Segment.from_model,
        )

    @strawberry.field(description="One of the store's segments.", permission_classes=READ)
    async def segment(self, info: Info, id: strawberry.ID, tenant_id: strawberry.ID | None = None) -> Segment:
        scope = info.context.require_tenant(optional_uuid(tenant_id))
        return Segment.from_model(await segments.get(tenant_id=scope, segment_id=to_uuid(id, what="Segment")))

    @strawberry.field(
        description=(
            "What conditions would select now, without saving anything: how many customers, how many can "
            "be texted, a sample, and the cost of texting them all (`message` sets the part count)."
        ),
        permission_classes=READ,
    )
    async def preview_segment(
        self,
        info: Info,
        definition: Annotated[JSON, strawberry.argument(description=DEFINITION_HELP)],
        message: str | None = None,
        sample: int = 20,
        tenant_id: strawberry.ID | None = None,
    ) -> SegmentPreview:
        scope = info.context.require_tenant(optional_uuid(tenant_id))
        result = await preview(
            tenant_id=scope,
            definition=definition,
            now=datetime.now(UTC),
            sample=sample,
            message=message,
            part_price=await pricing.tenant_part_price(scope),
        )
        return SegmentPreview(
            matching=result.matching,
            reachable=result.reachable,
            parts=result.parts,
            cost=Money(result.cost),
            sample=[Customer.from_model(customer) for customer in result.sample],
        )

    @strawberry.field(
        description="The store's purchase cycle, RFM quintiles and purchase model, as last refreshed.",
        permission_classes=[Can("customers", "read")],
    )
    async def store_intelligence(
        self, info: Info, tenant_id: strawberry.ID | None = None
    ) -> StoreIntelligence:
        scope = info.context.require_tenant(optional_uuid(tenant_id))
        row = await StoreIntelligenceModel.get_or_none(tenant_id=scope)
        if row is None:
            raise NotFound("Store intelligence (the store has not been refreshed yet)", field=None)
        return StoreIntelligence.from_model(row)
