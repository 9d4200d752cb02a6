"""GraphQL types of received events and of a batch's outcome."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Self

import strawberry
from strawberry.scalars import JSON

from domain.events import models
from domain.events.schema import EventBatchResult


@strawberry.type(description="An event as the store sent it, with what processing made of it.")
class IngestedEvent:
    id: strawberry.ID
    source: str
    event_id: str = strawberry.field(description="The sender's id for the event.")
    type: str
    occurred_at: datetime
    received_at: datetime
    processed_at: datetime | None
    status: str = strawberry.field(
        description=(
            "pending, waiting (for the order it refers to, which has not been received yet), processed "
            "or failed."
        )
    )
    error: str | None = strawberry.field(
        description="Why processing failed, for failed events; what it waits for, for waiting ones."
    )
    waiting_for: str | None = strawberry.field(
        description="For waiting events: what the event waits for, such as `order:1042`."
    )
    waiting_since: datetime | None = strawberry.field(
        description="For waiting events: since when. After 7 days of waiting an event fails."
    )
    attempts: int
    payload: JSON

    @classmethod
    def from_model(cls, event: models.IngestedEvent) -> IngestedEvent:
        return cls(
            id=strawberry.ID(str(event.id)),
            source=event.source,
            event_id=event.event_id,
            type=event.type,
            occurred_at=event.occurred_at,
            received_at=event.received_at,
            processed_at=event.processed_at,
            status=event.status,
            error=event.error,
            waiting_for=event.waiting_for,
            waiting_since=event.waiting_since,
            attempts=event.attempts,
            payload=JSON(event.payload),
        )


@strawberry.type(description="What happened to one event of a batch.")
class EventResult:
    id: str | None
    status: str = strawberry.field(description="accepted, duplicate or rejected.")
    reason: str | None


@strawberry.enum
class IngestErrorCode(Enum):
    INVALID = "INVALID"
    BATCH_TOO_LARGE = "BATCH_TOO_LARGE"
    TENANT_REQUIRED = "TENANT_REQUIRED"
    NOT_FOUND = "NOT_FOUND"


@strawberry.type
class IngestError:
    code: IngestErrorCode
    field: str | None
    message: str


@strawberry.type
class IngestEventsPayload:
    results: list[EventResult] = strawberry.field(default_factory=list)
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    errors: list[IngestError] = strawberry.field(default_factory=list)

    @classmethod
    def from_result(cls, result: EventBatchResult) -> Self:
        return cls(
            results=[EventResult(id=r.id, status=r.status.value, reason=r.reason) for r in result.results],
            accepted=result.accepted,
            duplicates=result.duplicates,
            rejected=result.rejected,
        )


@strawberry.type
class ReplayEventsPayload:
    requeued: int = 0
    errors: list[IngestError] = strawberry.field(default_factory=list)


@strawberry.type(description="What Revisit made of one WooCommerce webhook delivery.")
class WooCommerceWebhookPayload(IngestEventsPayload):
    ignored: bool = strawberry.field(
        default=False,
        description="True when the topic carries nothing Revisit uses (deletions, products, coupons).",
    )
