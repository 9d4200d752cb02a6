"""Facts the processing pipeline announces after it has changed the domain rows.

Handlers (journeys, credit, coupons) run inside the same transaction as the change that caused them.
Each event's ``name`` is what a journey's event trigger names (``order.created``, ``segment.entered``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from uuid import UUID


@dataclass(frozen=True)
class OrderCreated:
    """An order was seen for the first time (whatever its status)."""

    tenant_id: UUID
    order_id: UUID
    customer_id: UUID | None
    occurred_at: datetime
    name: Literal["order.created"] = "order.created"


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
class OrderRefunded:
    """The store refunded (part of) an order: once per new store refund, none for a repeated one.

    ``amount`` is in minor units; ``fully_refunded`` says whether the order's refunds now reach its
    total (an ``OrderReversed`` with reason ``refunded`` follows then)."""

    tenant_id: UUID
    order_id: UUID
    customer_id: UUID | None
    refund_id: str
    amount: int
    fully_refunded: bool
    occurred_at: datetime
    name: Literal["order.refunded"] = "order.refunded"


@dataclass(frozen=True)
class CustomerCreated:
    """A customer became known to the store (a sign-up, or a first order)."""

    tenant_id: UUID
    customer_id: UUID
    occurred_at: datetime
    name: Literal["customer.created"] = "customer.created"


@dataclass(frozen=True)
class CustomerUpdated:
    """What the store knows of an existing customer changed (profile, phone, consent): once per customer
    per batch of events, at the newest event that changed them."""

    tenant_id: UUID
    customer_id: UUID
    occurred_at: datetime
    name: Literal["customer.updated"] = "customer.updated"


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


DomainEvent = (
    OrderCreated
    | OrderCompleted
    | OrderReversed
    | OrderRefunded
    | CustomerCreated
    | CustomerUpdated
    | SegmentEntered
    | SegmentLeft
)
