"""GraphQL types of the messaging context: the SMS Revisit queued and sent."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from domain.messaging import models


@strawberry.enum(
    description=(
        "QUEUED waits for the provider (and for sendAfter); SUPPRESSED was never sent (no consent, or a "
        "suppressed phone); SKIPPED was never sent because a frequency cap left no room."
    )
)
class MessageStatus(Enum):
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"
    SUPPRESSED = "suppressed"
    SKIPPED = "skipped"


@strawberry.enum(description="The provider's final delivery report (docs/sms-providers.md).")
class DeliveryStatus(Enum):
    DELIVERED = "delivered"
    FAILED = "failed"
    UNDELIVERABLE = "undeliverable"


@strawberry.type(description="One SMS to one customer, from an automation step or a campaign.")
class OutboundMessage:
    id: strawberry.ID
    customer_id: strawberry.ID | None
    purpose: str = strawberry.field(description="marketing or transactional.")
    phone: str = strawberry.field(description="E.164.")
    body: str = strawberry.field(description="The text as sent, footer included.")
    encoding: str = strawberry.field(description="GSM-7 or UCS-2.")
    parts: int = strawberry.field(description="How many SMS parts the body costs.")
    status: MessageStatus
    provider: str
    provider_message_id: str | None
    failure_reason: str | None
    attempts: int
    created_at: datetime
    sent_at: datetime | None
    send_after: datetime | None = strawberry.field(
        description="Not sent before this moment: the end of quiet hours, or the day a frequency cap frees."
    )
    policy_reason: str | None = strawberry.field(
        description=(
            "Why the sending policy moved or stopped it: quiet_hours, daily_cap, weekly_cap, no_consent, "
            "opted_out or suppressed_number."
        )
    )
    delivery_status: DeliveryStatus | None = strawberry.field(
        default=None, description="The provider's final report; null while none has come."
    )
    delivery_status_at: datetime | None = strawberry.field(default=None, description="When it was reported.")
    outcome_unknown_at: datetime | None = strawberry.field(
        default=None,
        description=(
            "Set when a send's answer never came: the message is looked up at the provider by its id before "
            "anything is sent again (it stays QUEUED until then, and is never failed for it)."
        ),
    )

    @classmethod
    def from_model(cls, message: models.OutboundMessage) -> OutboundMessage:
        customer_id = message.customer_id  # type: ignore[attr-defined]
        return cls(
            id=strawberry.ID(str(message.id)),
            customer_id=strawberry.ID(str(customer_id)) if customer_id else None,
            purpose=message.purpose,
            phone=message.phone,
            body=message.body,
            encoding=message.encoding,
            parts=message.parts,
            status=MessageStatus(message.status),
            provider=message.provider,
            provider_message_id=message.provider_message_id,
            failure_reason=message.failure_reason,
            attempts=message.attempts,
            created_at=message.created_at,
            sent_at=message.sent_at,
            send_after=message.send_after,
            policy_reason=message.policy_reason,
            delivery_status=DeliveryStatus(message.delivery_status) if message.delivery_status else None,
            delivery_status_at=message.delivery_status_at,
            outcome_unknown_at=message.outcome_unknown_at,
        )
