"""Facts the processing pipeline announces after it has changed the domain rows.

Handlers (automations, credit) run inside the same transaction as the change that caused them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from uuid import UUID


@dataclass(frozen=True)
class OrderCompleted:
    """An order reached ``completed`` for the first time."""

    tenant_id: UUID
    order_id: UUID
    customer_id: UUID | None
    occurred_at: datetime
    name: Literal["order.completed"] = "order.completed"


ReversalReason = Literal["refunded", "cancelled", "failed"]


@dataclass(frozen=True)
class OrderReversed:
    """A completed or paid order was refunded (fully or partly), cancelled or failed."""

    tenant_id: UUID
    order_id: UUID
    customer_id: UUID | None
    reason: ReversalReason
    occurred_at: datetime
    name: Literal["order.reversed"] = "order.reversed"


@dataclass(frozen=True)
class CustomerCreated:
    tenant_id: UUID
    customer_id: UUID
    occurred_at: datetime
    name: Literal["customer.created"] = "customer.created"


@dataclass(frozen=True)
class SegmentEntered:
    """A customer became a member of a segment (a refresh found them matching its conditions)."""

    tenant_id: UUID
    segment_id: UUID
    customer_id: UUID
    occurred_at: datetime
    name: Literal["segment.entered"] = "segment.entered"


@dataclass(frozen=True)
class SegmentLeft:
    """A customer stopped being a member of a segment."""

    tenant_id: UUID
    segment_id: UUID
    customer_id: UUID
    occurred_at: datetime
    name: Literal["segment.left"] = "segment.left"


DomainEvent = OrderCompleted | OrderReversed | CustomerCreated | SegmentEntered | SegmentLeft
