"""When a journey starts: on an event, on the nth order, on entering or leaving a segment, or on a date
evaluated once a day per store (days since the last order, birthday, first-order anniversary, credit or
coupons expiring)."""

from __future__ import annotations

from typing import Annotated, Any, Final, Literal
from uuid import UUID

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from domain.automation.journey_parts import (
    ORDER_EVENTS,
    EventName,
    Part,
)


class EventTrigger(Part):
    """Starts when a store event happens: ``{"type": "event", "event": "order.completed"}``."""

    type: Literal["event"] = "event"
    event: EventName


class NthOrderTrigger(Part):
    """Starts when an order completes and it is the customer's ``n``-th completed order."""

    type: Literal["nth_order"] = "nth_order"
    n: int = Field(ge=1, le=1000)


class SegmentTrigger(Part):
    """Starts when a customer enters (or leaves) a segment."""

    type: Literal["segment"] = "segment"
    event: Literal["entered", "left"]
    segment_id: UUID


class DaysSinceLastOrderTrigger(Part):
    """Win-back: starts on the day a customer's last order is ``min_days`` old, and no later than
    ``max_days`` (a lapse is entered once; it is checked again just before sending)."""

    type: Literal["days_since_last_order"] = "days_since_last_order"
    min_days: int = Field(ge=1, le=3650)
    max_days: int = Field(ge=1, le=3650)

    @model_validator(mode="after")
    def _window(self) -> DaysSinceLastOrderTrigger:
        if self.max_days < self.min_days:
            raise PydanticCustomError("invalid_window", "max_days must be at least min_days.")
        return self


class BirthdayTrigger(Part):
    """Starts ``days_before`` days before the customer's birthday, in the store's calendar."""

    type: Literal["birthday"] = "birthday"
    days_before: int = Field(default=0, ge=0, le=60)


class FirstOrderAnniversaryTrigger(Part):
    """Starts ``days_before`` days before the anniversary of the customer's first order."""

    type: Literal["first_order_anniversary"] = "first_order_anniversary"
    days_before: int = Field(default=0, ge=0, le=60)


class CreditExpiringTrigger(Part):
    """Starts ``days_before`` days before some of the customer's credit expires."""

    type: Literal["credit_expiring"] = "credit_expiring"
    days_before: int = Field(ge=1, le=60)


class CouponExpiringTrigger(Part):
    """Starts ``days_before`` days before a coupon issued to the customer expires, unused."""

    type: Literal["coupon_expiring"] = "coupon_expiring"
    days_before: int = Field(ge=1, le=60)


Trigger = Annotated[
    EventTrigger
    | NthOrderTrigger
    | SegmentTrigger
    | DaysSinceLastOrderTrigger
    | BirthdayTrigger
    | FirstOrderAnniversaryTrigger
    | CreditExpiringTrigger
    | CouponExpiringTrigger,
    Field(discriminator="type"),
]


def trigger_key(trigger: Any) -> str:
    """What ``automations.trigger`` holds, to find a store's journeys by what starts them: the event
    name, ``nth_order``, ``segment.entered`` / ``segment.left`` or the date trigger's type."""
    if isinstance(trigger, EventTrigger):
        return trigger.event
    if isinstance(trigger, SegmentTrigger):
        return f"segment.{trigger.event}"
    return str(trigger.type)


TRIGGER_KEYS_OF_EVENT: Final[dict[str, tuple[str, ...]]] = {
    "order.created": ("order.created",),
    "order.completed": ("order.completed", "nth_order"),
    "order.refunded": ("order.refunded",),
    "order.cancelled": ("order.cancelled",),
    "customer.created": ("customer.created",),
    "customer.updated": ("customer.updated",),
    "segment.entered": ("segment.entered",),
    "segment.left": ("segment.left",),
}
"""For each domain event, the ``automations.trigger`` keys of the journeys it may start."""


def is_order_trigger(trigger: Any) -> bool:
    """Whether runs of this trigger are about one order (conditions on its total, cashback)."""
    return isinstance(trigger, NthOrderTrigger) or (
        isinstance(trigger, EventTrigger) and trigger.event in ORDER_EVENTS
    )
