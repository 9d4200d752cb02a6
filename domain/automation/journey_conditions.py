"""Who a journey is for and how often: conditions on enrolment (order total, an audience, a segment),
the checks branches and goals make, and the entry rule."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from domain.automation.journey_parts import (
    MAX_CAP,
    Part,
)
from domain.errors import DomainError
from domain.segments import definition as segments


class OrderTotalCondition(Part):
    """The order total compared with an amount: ``{"type": "order_total", "op": "gte", "amount": 5000}``."""

    type: Literal["order_total"] = "order_total"
    op: Literal["gte", "gt", "lte", "lt", "eq"]
    amount: int = Field(ge=0, le=segments.MAX_AMOUNT, description="Minor units of the store's currency.")

    def matches(self, *, total: int) -> bool:
        """True when an order of ``total`` (minor units) satisfies the condition."""
        if self.op == "gte":
            return total >= self.amount
        if self.op == "gt":
            return total > self.amount
        if self.op == "lte":
            return total <= self.amount
        if self.op == "lt":
            return total < self.amount
        return total == self.amount


def _segment_tree(raw: Any) -> dict[str, Any]:
    """A segment condition tree (``{"field": …}``, ``{"all": […]}``, …) checked by the segments' rules;
    returned as the segments module writes it."""
    try:
        parsed = segments.parse({"version": segments.VERSION, "match": raw})
    except DomainError as exc:
        inner = (exc.field or "").removeprefix("definition").removeprefix(".match").lstrip(".")
        raise PydanticCustomError(
            "invalid_condition", "{message}", {"message": exc.message, "inner": inner}
        ) from None
    match: dict[str, Any] = parsed.as_json()["match"]
    return match


SegmentTree = Annotated[dict[str, Any], Field(description="A segment condition tree (see segments).")]


class _TreeHolder(Part):
    condition: SegmentTree

    @field_validator("condition", mode="before")
    @classmethod
    def _tree(cls, raw: Any) -> dict[str, Any]:
        return _segment_tree(raw)

    def segment_definition(self) -> segments.Definition:
        """The condition as a segment definition, ready for :mod:`domain.segments.compiler`."""
        return segments.parse({"version": segments.VERSION, "match": self.condition})


class AudienceCondition(_TreeHolder):
    """The customer matches a segment condition tree: ``{"type": "audience", "condition": {"field":
    "orders_count", "op": "gte", "value": 2}}``."""

    type: Literal["audience"] = "audience"


class InSegmentCondition(Part):
    """The customer is a member of a segment when they would enter."""

    type: Literal["in_segment"] = "in_segment"
    segment_id: UUID


Condition = Annotated[
    OrderTotalCondition | AudienceCondition | InSegmentCondition, Field(discriminator="type")
]


class OrderedSinceEnrolment(Part):
    """The customer has placed an order (not cancelled, failed or fully refunded) since the run began."""

    type: Literal["ordered_since_enrolment"] = "ordered_since_enrolment"


class RedeemedCoupon(Part):
    """An order used the coupon this run issued — or, in a coupon-expiring journey, the expiring one —
    and that use was not given back."""

    type: Literal["redeemed_coupon"] = "redeemed_coupon"


class InSegmentCheck(Part):
    """The customer is a member of a segment now."""

    type: Literal["in_segment"] = "in_segment"
    segment_id: UUID


class MatchesCheck(_TreeHolder):
    """The customer matches a segment condition tree now."""

    type: Literal["matches"] = "matches"


Check = Annotated[
    OrderedSinceEnrolment | RedeemedCoupon | InSegmentCheck | MatchesCheck, Field(discriminator="type")
]


class EntryRule(Part):
    """Who may enter, and how often. Whatever the mode, a customer already in the journey (an open
    run) is not enrolled again.

    - ``once_ever``: a customer enters at most once;
    - ``once_per_days``: at most once in any ``days`` days;
    - ``once_per_order``: once per order (order triggers), or once per occasion for date triggers
      (a lapse, a birthday's year, an expiring credit).

    ``cap`` is the most enrolments the journey ever makes (then it enrols nobody else)."""

    mode: Literal["once_ever", "once_per_days", "once_per_order"]
    days: int | None = Field(default=None, ge=1, le=3650)
    cap: int | None = Field(default=None, ge=1, le=MAX_CAP)

    @model_validator(mode="after")
    def _days(self) -> EntryRule:
        if self.mode == "once_per_days" and self.days is None:
            raise PydanticCustomError("missing_days", "once_per_days needs days.")
        if self.mode != "once_per_days" and self.days is not None:
            raise PydanticCustomError("unexpected_days", "days applies to once_per_days only.")
        return self
