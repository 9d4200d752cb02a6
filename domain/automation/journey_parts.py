"""The shared vocabulary of journey definitions: limits, event names, step ids, times of day, the base
of every part (frozen, no unknown keys)."""

from __future__ import annotations

import re
from datetime import time
from typing import Annotated, Final, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

SCHEMA_VERSION: Final = 2
MAX_STEPS: Final = 50
MAX_CONDITIONS: Final = 20
MAX_AMOUNT: Final = 10**12
"""The most one step grants, in minor units (a trillion rials is far beyond any store's gift)."""
MAX_CAP: Final = 10_000_000
MAX_TAG: Final = 64

COUPON_VARIABLES: Final = frozenset({"coupon_code", "coupon_value", "coupon_expiry"})

ORDER_EVENTS: Final = ("order.created", "order.completed", "order.refunded", "order.cancelled")
CUSTOMER_EVENTS: Final = ("customer.created", "customer.updated")
EventName = Literal[
    "order.created",
    "order.completed",
    "order.refunded",
    "order.cancelled",
    "customer.created",
    "customer.updated",
]

DATE_TRIGGERS: Final = frozenset(
    {"days_since_last_order", "birthday", "first_order_anniversary", "credit_expiring", "coupon_expiring"}
)
"""Triggers evaluated once a day per store in its timezone (not by events)."""

STEP_ID: Final = re.compile(r"^[a-z0-9_-]{1,40}$")
END: Final = "end"
LINK = re.compile(r"^https?://[^\s\x00-\x1f\x7f]+$")
CLOCK = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])$")


class Part(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def checked_clock(value: str) -> str:
    if not CLOCK.match(value):
        raise PydanticCustomError("invalid_time", "A time of day is HH:MM, 00:00 to 23:59.")
    return value


ClockTime = Annotated[str, Field(min_length=5, max_length=5, description="HH:MM, local to the store.")]


def clock_time(value: str) -> time:
    """``"HH:MM"`` as a time of day."""
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))
