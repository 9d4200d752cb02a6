"""GraphQL types of the segments context: segments, their members and size history, previews, errors."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from uuid import UUID

import strawberry
from strawberry.extensions import FieldExtension
from strawberry.scalars import JSON

from domain.intelligence.models import StoreIntelligence as StoreIntelligenceModel
from domain.segments import models
from domain.segments.models import SegmentMembership
from domain.segments.models import SegmentSize as SegmentSizeModel
from graph.core.context import Info
from graph.core.errors import errors_as_data
from graph.core.pagination import Connection, Edge, paginate
from graph.core.permissions import Can
from graph.core.scalars import Money
from graph.customers.types import Customer

READ = [Can("segments", "read")]
WRITE = [Can("segments", "write")]

DEFINITION_HELP = (
    'The conditions as versioned JSON, e.g. {"version": 1, "match": {"all": [{"field": "orders_count", '
    '"op": "gte", "value": 2}, {"field": "days_since_last_order", "op": "gt", "value": 60}, {"not": '
    '{"field": "tags", "op": "has_any", "value": ["vip"]}}, {"purchased": {"category": "tea", '
    '"at_least": 2, "within_days": 90}}]}}. Groups: all, any, not. Facts: purchased {product | category, '
    "at_least, within_days}, spent {at_least, within_days}, used_coupon {code, within_days}, "
    "received_messages {at_least, within_days}, in_segment <segment id>. Fields and operators: see "
    "docs/segments.md."
)


@strawberry.enum(
    description=(
        "DYNAMIC segments follow their conditions; STATIC ones are lists kept by hand or import; "
        "BUILTIN ones are the lifecycle segments every store has."
    )
)
class SegmentKind(Enum):
    DYNAMIC = "dynamic"
    STATIC = "static"
    BUILTIN = "builtin"


@strawberry.type(description="A customer in a segment, since when.")
class SegmentMember:
    customer: Customer
    entered_at: datetime


@strawberry.type(description="A segment's size after one full refresh, and how many entered and left in it.")
class SegmentSize:
    measured_at: datetime
    size: int
    entered: int
    left: int


@strawberry.type(description="A named group of the store's customers.")
class Segment:
    id: strawberry.ID
    name: str
    description: str = strawberry.field(description="What it is for; for built-ins, how they are defined.")
    kind: SegmentKind
    builtin_key: str | None = strawberry.field(
        description="new, active, loyal, vip, at_risk, about_to_lose or churned."
    )
    definition: JSON | None = strawberry.field(description="The condition tree; null for static lists.")
    revision: int = strawberry.field(description="Goes up by one every time the conditions change.")
    member_count: int
    refreshed_at: datetime | None
    created_at: datetime
    updated_at: datetime
    tenant_id: strawberry.Private[UUID]

    @strawberry.field(description="The current members, newest entries first.")
    async def members(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[SegmentMember]:
        queryset = SegmentMembership.filter(
            tenant_id=self.tenant_id, segment_id=self.id, left_at__isnull=True
        )
        page = await paginate(
            queryset,
            first=first,
            after=after,
            cap=info.context.settings.page_size_cap,
            to_node=lambda stay: stay,
            time_field="entered_at",
        )
        ids = [(self.tenant_id, edge.node.customer_id) for edge in page.edges]
        customers = await info.context.loaders.customers.load_many(ids)
        members = [
            Edge(
                cursor=edge.cursor,
                node=SegmentMember(customer=Customer.from_model(customer), entered_at=edge.node.entered_at),
            )
            for edge, customer in zip(page.edges, customers, strict=True)
            if customer is not None
        ]
        return Connection(edges=members, page_info=page.page_info)

    @strawberry.field(description="Sizes after the last full refreshes, newest first (at most 365).")
    async def size_history(self, last: int = 30) -> list[SegmentSize]:
        rows = (
            await SegmentSizeModel.filter(tenant_id=self.tenant_id, segment_id=self.id)
            .order_by("-measured_at", "-id")
            .limit(max(1, min(last, 365)))
        )
        return [
            SegmentSize(measured_at=row.measured_at, size=row.size, entered=row.entered, left=row.left)
            for row in rows
        ]

    @classmethod
    def from_model(cls, segment: models.Segment) -> Segment:
        return cls(
            id=strawberry.ID(str(segment.id)),
            name=segment.name,
            description=segment.description,
            kind=SegmentKind(segment.kind),
            builtin_key=segment.builtin_key,
            definition=JSON(segment.definition) if segment.definition is not None else None,
            revision=segment.revision,
            member_count=segment.member_count,
            refreshed_at=segment.refreshed_at,
            created_at=segment.created_at,
            updated_at=segment.updated_at,
            tenant_id=segment.tenant_id,  # type: ignore[attr-defined]
        )


@strawberry.type(description="What a definition selects now, before it is saved.")
class SegmentPreview:
    matching: int = strawberry.field(description="Customers the conditions select.")
    reachable: int = strawberry.field(description="Of those, with a phone and marketing consent.")
    parts: int = strawberry.field(
        description="SMS parts of the message (with the opt-out footer); 1 without one."
    )
    cost: Money = strawberry.field(description="reachable × parts × the price of a part, in rials (IRR).")
    sample: list[Customer] = strawberry.field(description="Some of the customers, most recent buyers first.")


@strawberry.type(
    description="What Revisit has learnt about the store, which the built-in segments and scores use."
)
class StoreIntelligence:
    purchase_cycle_days: float = strawberry.field(description="Typical days between a customer's orders.")
    cycle_learnt: bool = strawberry.field(
        description="The store's own cycle (true) or the default of 30 days."
    )
    returning_customers: int
    recency_breaks: list[float] = strawberry.field(
        description="Days since the last order at the 20/40/60/80 % marks."
    )
    frequency_breaks: list[float] = strawberry.field(description="Orders count at the 20/40/60/80 % marks.")
    monetary_breaks: list[float] = strawberry.field(description="Money spent at the 20/40/60/80 % marks.")
    model_fitted: bool = strawberry.field(
        description="BG/NBD fitted to the store (true) or the published parameters."
    )
    model_r: float | None
    model_alpha: float | None = strawberry.field(description="In days.")
    model_a: float | None
    model_b: float | None
    model_customers: int
    refreshed_at: datetime | None

    @classmethod
    def from_model(cls, row: StoreIntelligenceModel) -> StoreIntelligence:
        return cls(
            purchase_cycle_days=row.purchase_cycle_days,
            cycle_learnt=row.cycle_learnt,
            returning_customers=row.returning_customers,
            recency_breaks=list(row.recency_breaks),
            frequency_breaks=list(row.frequency_breaks),
            monetary_breaks=list(row.monetary_breaks),
            model_fitted=row.model_fitted,
            model_r=row.model_r,
            model_alpha=row.model_alpha,
            model_a=row.model_a,
            model_b=row.model_b,
            model_customers=row.model_customers,
            refreshed_at=row.refreshed_at,
        )


@strawberry.enum
class SegmentErrorCode(Enum):
    INVALID = "INVALID"
    INVALID_SEGMENT = "INVALID_SEGMENT"
    NOT_FOUND = "NOT_FOUND"
    NAME_TAKEN = "NAME_TAKEN"
    IN_USE = "IN_USE"
    BUILTIN = "BUILTIN"
    NOT_EDITABLE = "NOT_EDITABLE"
    NOT_STATIC = "NOT_STATIC"
    TOO_MANY = "TOO_MANY"
    FILE_TOO_LARGE = "FILE_TOO_LARGE"
    TOO_MANY_ROWS = "TOO_MANY_ROWS"
    TENANT_REQUIRED = "TENANT_REQUIRED"


@strawberry.type
class SegmentError:
    code: SegmentErrorCode
    field: str | None = strawberry.field(
        description="Path of the input at fault, e.g. definition.match.all.1."
    )
    message: str


@strawberry.type
class SegmentPayload:
    segment: Segment | None = None
    changed: int | None = strawberry.field(
        default=None, description="Members added or removed (static lists)."
    )
    errors: list[SegmentError] = strawberry.field(default_factory=list)


@strawberry.type
class DeleteSegmentPayload:
    deleted_id: strawberry.ID | None = None
    errors: list[SegmentError] = strawberry.field(default_factory=list)


def segment_errors() -> list[FieldExtension]:
    return errors_as_data(SegmentPayload, SegmentError, SegmentErrorCode)


def delete_errors() -> list[FieldExtension]:
    return errors_as_data(DeleteSegmentPayload, SegmentError, SegmentErrorCode)
