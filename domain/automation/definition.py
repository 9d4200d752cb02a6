"""What an owner configures in a journey: a trigger, conditions, entry rules and ordered steps.

The definition is a pydantic model at the boundary (GraphQL input, the JSON columns) and plain data
inside. It is stored as JSON on the automation and on each of its versions (``automation_versions``);
a run keeps the version it was enrolled with, so editing a journey never changes what a run in flight
does unless the owner migrates it.

``schema_version`` 2 is what this module writes. Version-1 definitions (trigger ``"order.completed"``
as a string, conditions, ``grant_cashback`` / ``send_sms`` steps without ids) still load: they become
an event trigger, entry once per order, and steps ``s1``, ``s2``, … by position.

Amounts are integers in minor units of the store's currency. Conditions are all required (AND).
:func:`parse` turns decoded JSON into a definition or raises ``INVALID_DEFINITION`` naming the path of
the first bad field (``definition.steps.2.template``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import time
from decimal import ROUND_DOWN, Decimal
from typing import Annotated, Any, Final, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError

from domain.errors import DomainError
from domain.messaging.formatting import template_variables
from domain.messaging.templates import MESSAGE_VARIABLES, validate_template
from domain.segments import definition as segments
from domain.text import FreeText, IdentifierText

SCHEMA_VERSION: Final = 2
MAX_STEPS: Final = 50
MAX_CONDITIONS: Final = 20
MAX_AMOUNT: Final = 10**12
"""The most one step grants, in minor units (a trillion rials is far beyond any store's gift)."""
MAX_CAP: Final = 10_000_000
MAX_TAG: Final = 64

TEMPLATE_VARIABLES: Final = MESSAGE_VARIABLES
"""Placeholders a ``send_sms`` template may use — the messaging module's (:mod:`domain.messaging.templates`):
the customer's first name, the store's name, the credit this run granted, the customer's balance, the
code, value and expiry of the coupon this run issued (or the one the trigger is about), the whole days
since the customer's last order and the step's link."""

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
_LINK = re.compile(r"^https?://[^\s\x00-\x1f\x7f]+$")
_CLOCK = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])$")


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def _clock(value: str) -> str:
    if not _CLOCK.match(value):
        raise PydanticCustomError("invalid_time", "A time of day is HH:MM, 00:00 to 23:59.")
    return value


ClockTime = Annotated[str, Field(min_length=5, max_length=5, description="HH:MM, local to the store.")]


def clock_time(value: str) -> time:
    """``"HH:MM"`` as a time of day."""
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


# --- triggers ---------------------------------------------------------------------------------------


class EventTrigger(_Part):
    """Starts when a store event happens: ``{"type": "event", "event": "order.completed"}``."""

    type: Literal["event"] = "event"
    event: EventName


class NthOrderTrigger(_Part):
    """Starts when an order completes and it is the customer's ``n``-th completed order."""

    type: Literal["nth_order"] = "nth_order"
    n: int = Field(ge=1, le=1000)


class SegmentTrigger(_Part):
    """Starts when a customer enters (or leaves) a segment."""

    type: Literal["segment"] = "segment"
    event: Literal["entered", "left"]
    segment_id: UUID


class DaysSinceLastOrderTrigger(_Part):
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


class BirthdayTrigger(_Part):
    """Starts ``days_before`` days before the customer's birthday, in the store's calendar."""

    type: Literal["birthday"] = "birthday"
    days_before: int = Field(default=0, ge=0, le=60)


class FirstOrderAnniversaryTrigger(_Part):
    """Starts ``days_before`` days before the anniversary of the customer's first order."""

    type: Literal["first_order_anniversary"] = "first_order_anniversary"
    days_before: int = Field(default=0, ge=0, le=60)


class CreditExpiringTrigger(_Part):
    """Starts ``days_before`` days before some of the customer's credit expires."""

    type: Literal["credit_expiring"] = "credit_expiring"
    days_before: int = Field(ge=1, le=60)


class CouponExpiringTrigger(_Part):
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


# --- conditions and checks ------------------------------------------------------------------------


class OrderTotalCondition(_Part):
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


class _TreeHolder(_Part):
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


class InSegmentCondition(_Part):
    """The customer is a member of a segment when they would enter."""

    type: Literal["in_segment"] = "in_segment"
    segment_id: UUID


Condition = Annotated[
    OrderTotalCondition | AudienceCondition | InSegmentCondition, Field(discriminator="type")
]


class OrderedSinceEnrolment(_Part):
    """The customer has placed an order (not cancelled, failed or fully refunded) since the run began."""

    type: Literal["ordered_since_enrolment"] = "ordered_since_enrolment"


class RedeemedCoupon(_Part):
    """An order used the coupon this run issued — or, in a coupon-expiring journey, the expiring one —
    and that use was not given back."""

    type: Literal["redeemed_coupon"] = "redeemed_coupon"


class InSegmentCheck(_Part):
    """The customer is a member of a segment now."""

    type: Literal["in_segment"] = "in_segment"
    segment_id: UUID


class MatchesCheck(_TreeHolder):
    """The customer matches a segment condition tree now."""

    type: Literal["matches"] = "matches"


Check = Annotated[
    OrderedSinceEnrolment | RedeemedCoupon | InSegmentCheck | MatchesCheck, Field(discriminator="type")
]


class EntryRule(_Part):
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


# --- steps ------------------------------------------------------------------------------------------


StepId = Annotated[str, Field(min_length=1, max_length=40, pattern=STEP_ID.pattern)]


class _Step(_Part):
    id: StepId


class Duration(_Part):
    """A length of time: at least a minute, at most 3650 days."""

    days: int = Field(default=0, ge=0, le=3650)
    hours: int = Field(default=0, ge=0, le=87_600)
    minutes: int = Field(default=0, ge=0, le=5_256_000)

    @model_validator(mode="after")
    def _positive(self) -> Duration:
        total = self.total_minutes
        if total < 1:
            raise PydanticCustomError("empty_duration", "A wait lasts at least one minute.")
        if total > 3650 * 24 * 60:
            raise PydanticCustomError("long_duration", "A wait lasts at most 3650 days.")
        return self

    @property
    def total_minutes(self) -> int:
        return self.days * 24 * 60 + self.hours * 60 + self.minutes


DateField = Literal["birthday", "first_order_anniversary", "coupon_expiry", "credit_expiry"]


class WaitStep(_Step):
    """Wait before the next step — exactly one of:

    - ``duration`` ``{"days": 3}``;
    - ``until_time`` ``"10:00"``: the next 10:00 in the store's timezone;
    - ``until_weekday`` 0 (Monday) … 6 (Sunday), with an optional ``at`` ``"HH:MM"`` (default 00:00);
    - ``until_date_field`` ``birthday`` / ``first_order_anniversary`` (the next one, in the store's
      calendar), ``coupon_expiry`` / ``credit_expiry`` (of what this run issued or the trigger is
      about), shifted by ``offset_days`` (-60…60, e.g. -3 for three days before), at ``at`` or 00:00.

    A moment already past does not wait."""

    type: Literal["wait"] = "wait"
    duration: Duration | None = None
    until_time: ClockTime | None = None
    until_weekday: int | None = Field(default=None, ge=0, le=6)
    at: ClockTime | None = None
    until_date_field: DateField | None = None
    offset_days: int = Field(default=0, ge=-60, le=60)

    @field_validator("until_time", "at")
    @classmethod
    def _times(cls, value: str | None) -> str | None:
        return None if value is None else _clock(value)

    @model_validator(mode="after")
    def _one_kind(self) -> WaitStep:
        kinds = [
            name
            for name in ("duration", "until_time", "until_weekday", "until_date_field")
            if getattr(self, name) is not None
        ]
        if len(kinds) != 1:
            raise PydanticCustomError(
                "wait_kind",
                "A wait has exactly one of duration, until_time, until_weekday, until_date_field.",
            )
        if self.at is not None and kinds[0] not in ("until_weekday", "until_date_field"):
            raise PydanticCustomError(
                "unexpected_at", "at applies to until_weekday and until_date_field only."
            )
        if self.offset_days and kinds[0] != "until_date_field":
            raise PydanticCustomError("unexpected_offset", "offset_days applies to until_date_field only.")
        return self


class SendSmsStep(_Step):
    """Send the customer an SMS rendered from ``template`` under the store's sending policy.

    Marketing messages respect consent, opt-outs, quiet hours and frequency caps and carry the opt-out
    footer; transactional ones (a receipt for the cashback) go to everyone with a phone at once. A
    capped marketing message is skipped (``when_capped: "skip"``) or deferred until the cap frees
    (``"defer"``)."""

    type: Literal["send_sms"] = "send_sms"
    template: Annotated[FreeText, Field(min_length=1, max_length=1000)]
    purpose: Literal["marketing", "transactional"] = "transactional"
    when_capped: Literal["skip", "defer"] = "skip"
    link: Annotated[str, Field(min_length=8, max_length=500)] | None = Field(
        default=None, description="What {link} says: an http(s) address, e.g. the store's sale page."
    )

    @field_validator("link")
    @classmethod
    def _address(cls, link: str | None) -> str | None:
        if link is not None and not _LINK.match(link):
            raise PydanticCustomError(
                "invalid_link", "A link is an http:// or https:// address without spaces."
            )
        return link

    @model_validator(mode="after")
    def _link_given(self) -> SendSmsStep:
        if "link" in self.variables() and self.link is None:
            raise PydanticCustomError("missing_link", "The template uses {link}; say which link.")
        return self

    @field_validator("template")
    @classmethod
    def _known_variables(cls, template: str) -> str:
        try:
            validate_template(template, TEMPLATE_VARIABLES)
        except DomainError as exc:
            raise PydanticCustomError(exc.code.lower(), exc.message) from None
        return template

    def variables(self) -> set[str]:
        return template_variables(self.template)


class GrantCashbackStep(_Step):
    """Grant a percentage of the order (shipping and refunds excluded) as credit, optionally capped."""

    type: Literal["grant_cashback"] = "grant_cashback"
    percent: Decimal = Field(gt=0, le=100, max_digits=5, decimal_places=2)
    cap: int | None = Field(
        default=None, ge=1, le=MAX_AMOUNT, description="The most one order earns, in minor units."
    )
    available_after_days: int = Field(default=0, ge=0, le=365)
    expires_after_days: int | None = Field(
        default=None, ge=1, le=3650, description="Counted from when the credit becomes available."
    )

    def cashback(self, *, total: int, shipping_total: int, refunded_total: int = 0) -> int:
        """``max(total - shipping - refunded, 0) × percent / 100``, rounded down, capped."""
        base = max(total - shipping_total - refunded_total, 0)
        amount = int((Decimal(base) * self.percent / 100).to_integral_value(rounding=ROUND_DOWN))
        return amount if self.cap is None else min(amount, self.cap)


class GrantCreditStep(_Step):
    """Grant a fixed amount of credit, available at once, expiring ``expires_after_days`` later."""

    type: Literal["grant_credit"] = "grant_credit"
    amount: int = Field(ge=1, le=MAX_AMOUNT, description="Minor units of the store's currency.")
    expires_after_days: int | None = Field(default=None, ge=1, le=3650)


class IssueCouponStep(_Step):
    """Issue the customer a unique code from a coupon template (once per run)."""

    type: Literal["issue_coupon"] = "issue_coupon"
    template_id: UUID


JumpTarget = Annotated[str, Field(min_length=1, max_length=40)]


class BranchStep(_Step):
    """Go to ``then`` when ``if`` holds, else to ``else``: a later step's id, ``"end"`` (the run
    completes) or null (the next step)."""

    type: Literal["branch"] = "branch"
    if_: Check = Field(alias="if")
    then: JumpTarget | None = None
    else_: JumpTarget | None = Field(default=None, alias="else")


class ExitIfStep(_Step):
    """A goal: checked before every step of the run (wherever it stands); when it holds the run exits
    with reason ``goal``. Reaching it in order does nothing more."""

    type: Literal["exit_if"] = "exit_if"
    if_: Check = Field(alias="if")


Tag = Annotated[IdentifierText, Field(min_length=1, max_length=MAX_TAG)]


class _TagStep(_Step):
    tag: Tag

    @field_validator("tag")
    @classmethod
    def _trimmed(cls, tag: str) -> str:
        cleaned = tag.strip()
        if not cleaned:
            raise PydanticCustomError("empty_tag", "A tag is not blank.")
        return cleaned


class AddTagStep(_TagStep):
    """Add a tag to the customer (nothing changes if they have it)."""

    type: Literal["add_tag"] = "add_tag"


class RemoveTagStep(_TagStep):
    """Remove a tag from the customer (nothing changes if they lack it)."""

    type: Literal["remove_tag"] = "remove_tag"


Step = Annotated[
    WaitStep
    | SendSmsStep
    | GrantCashbackStep
    | GrantCreditStep
    | IssueCouponStep
    | BranchStep
    | ExitIfStep
    | AddTagStep
    | RemoveTagStep,
    Field(discriminator="type"),
]
AnyStep = (
    WaitStep
    | SendSmsStep
    | GrantCashbackStep
    | GrantCreditStep
    | IssueCouponStep
    | BranchStep
    | ExitIfStep
    | AddTagStep
    | RemoveTagStep
)
AnyCheck = OrderedSinceEnrolment | RedeemedCoupon | InSegmentCheck | MatchesCheck


# --- the journey ------------------------------------------------------------------------------------


class JourneyDefinition(_Part):
    """When the journey starts, for whom, how often, and what it does, in order."""

    schema_version: Literal[2] = SCHEMA_VERSION
    trigger: Trigger
    conditions: list[Condition] = Field(default_factory=list, max_length=MAX_CONDITIONS)
    entry: EntryRule
    attribution_days: int = Field(default=7, ge=1, le=90)
    steps: list[Step] = Field(min_length=1, max_length=MAX_STEPS)

    @model_validator(mode="before")
    @classmethod
    def _upgrade(cls, raw: Any) -> Any:
        """Read version-1 definitions and fill in what may be left out (entry, step ids)."""
        if not isinstance(raw, dict):
            return raw
        data = dict(raw)
        version_1 = data.get("schema_version") == 1 or (
            "schema_version" not in data and isinstance(data.get("trigger"), str)
        )
        if version_1:
            data["schema_version"] = SCHEMA_VERSION
            if isinstance(data.get("trigger"), str):
                data["trigger"] = {"type": "event", "event": data["trigger"]}
            data.setdefault("entry", {"mode": "once_per_order"})
        trigger = data.get("trigger")
        if "entry" not in data and isinstance(trigger, dict):
            ordered = trigger.get("type") == "nth_order" or trigger.get("event") in ORDER_EVENTS
            data["entry"] = {
                "mode": "once_per_order" if ordered or trigger.get("type") in DATE_TRIGGERS else "once_ever"
            }
        steps = data.get("steps")
        if isinstance(steps, list):
            data["steps"] = [
                {**step, "id": f"s{index + 1}"} if isinstance(step, dict) and "id" not in step else step
                for index, step in enumerate(steps)
            ]
        return data

    @model_validator(mode="after")
    def _coherent(self) -> JourneyDefinition:
        positions: dict[str, int] = {}
        for index, step in enumerate(self.steps):
            if step.id in positions or step.id == END:
                raise _at(
                    ("steps", index, "id"),
                    "duplicate_step",
                    f"Step id {step.id!r} is used twice or reserved.",
                )
            positions[step.id] = index
        ordered = is_order_trigger(self.trigger)
        for index, condition in enumerate(self.conditions):
            if isinstance(condition, OrderTotalCondition) and not ordered:
                raise _at(
                    ("conditions", index), "order_condition", "order_total applies to order triggers only."
                )
        if self.entry.mode == "once_per_order" and not (ordered or self.trigger.type in DATE_TRIGGERS):
            raise _at(
                ("entry", "mode"), "entry_mode", "once_per_order applies to order and date triggers only."
            )
        coupon_before = isinstance(self.trigger, CouponExpiringTrigger)
        credit_before = isinstance(self.trigger, CreditExpiringTrigger)
        issues_coupon = any(isinstance(step, IssueCouponStep) for step in self.steps)
        for index, step in enumerate(self.steps):
            where: tuple[str | int, ...] = ("steps", index)
            if isinstance(step, GrantCashbackStep) and not ordered:
                raise _at(where, "cashback_needs_order", "grant_cashback applies to order triggers only.")
            if isinstance(step, SendSmsStep) and step.variables() & COUPON_VARIABLES and not coupon_before:
                raise _at(
                    (*where, "template"),
                    "coupon_variable",
                    "Coupon variables need an issue_coupon step before this one"
                    " (or a coupon_expiring trigger).",
                )
            if isinstance(step, WaitStep) and step.until_date_field == "coupon_expiry" and not coupon_before:
                raise _at(
                    (*where, "until_date_field"),
                    "no_coupon",
                    "coupon_expiry needs an issue_coupon step before.",
                )
            if isinstance(step, WaitStep) and step.until_date_field == "credit_expiry" and not credit_before:
                raise _at(
                    (*where, "until_date_field"),
                    "no_credit",
                    "credit_expiry needs a grant with an expiry before (or a credit_expiring trigger).",
                )
            if isinstance(step, BranchStep):
                for name, target in (("then", step.then), ("else", step.else_)):
                    if target is None or target == END:
                        continue
                    if target not in positions:
                        raise _at((*where, name), "unknown_step", f"No step has the id {target!r}.")
                    if positions[target] <= index:
                        raise _at((*where, name), "backward_jump", "A branch jumps forward only.")
            check = getattr(step, "if_", None)
            if isinstance(check, RedeemedCoupon) and not (
                issues_coupon or isinstance(self.trigger, CouponExpiringTrigger)
            ):
                raise _at(
                    (*where, "if"),
                    "no_coupon",
                    "redeemed_coupon needs an issue_coupon step in the journey"
                    " (or a coupon_expiring trigger).",
                )
            if isinstance(step, IssueCouponStep):
                coupon_before = True
            if isinstance(step, GrantCreditStep | GrantCashbackStep) and step.expires_after_days:
                credit_before = True
        return self

    @property
    def trigger_key(self) -> str:
        return trigger_key(self.trigger)

    @property
    def is_date_triggered(self) -> bool:
        return self.trigger.type in DATE_TRIGGERS

    def step_index(self, step_id: str) -> int | None:
        """The position of the step with this id, or None."""
        for index, step in enumerate(self.steps):
            if step.id == step_id:
                return index
        return None

    def goals(self) -> list[ExitIfStep]:
        """Every ``exit_if`` of the journey, checked before every step."""
        return [step for step in self.steps if isinstance(step, ExitIfStep)]

    def checks(self) -> Iterator[AnyCheck]:
        """Every check the steps make (branches and goals)."""
        for step in self.steps:
            if isinstance(step, BranchStep | ExitIfStep):
                yield step.if_

    def segments_used(self) -> set[UUID]:
        """The segments the trigger, conditions and checks name (to check they exist)."""
        found: set[UUID] = set()
        if isinstance(self.trigger, SegmentTrigger):
            found.add(self.trigger.segment_id)
        for part in (*self.conditions, *self.checks()):
            if isinstance(part, InSegmentCondition | InSegmentCheck):
                found.add(part.segment_id)
            elif isinstance(part, AudienceCondition | MatchesCheck):
                found |= part.segment_definition().segments_used()
        return found

    def coupon_templates_used(self) -> set[UUID]:
        return {step.template_id for step in self.steps if isinstance(step, IssueCouponStep)}

    def matches(self, *, total: int) -> bool:
        """True when an order of ``total`` satisfies every order_total condition."""
        return all(
            condition.matches(total=total)
            for condition in self.conditions
            if isinstance(condition, OrderTotalCondition)
        )

    def to_json(self) -> dict[str, Any]:
        """The definition as stored: plain JSON (percentages as strings, so nothing is rounded)."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


AutomationDefinition = JourneyDefinition
"""The name the first release used."""


def _at(loc: tuple[str | int, ...], code: str, message: str) -> PydanticCustomError:
    """A coherence error of the whole definition, carrying the path of the field at fault."""
    return PydanticCustomError(code, "{message}", {"message": message, "loc": ".".join(map(str, loc))})


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a definition: a code, the path of the field and a message for people."""

    code: str
    field: str
    message: str


class InvalidDefinition(DomainError):
    """``INVALID_DEFINITION``: the first problem as the error's field and message, all in ``problems``."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("INVALID_DEFINITION", problems[0].message, field=problems[0].field)
        self.problems = problems


TEMPLATE_CODES: Final = frozenset({"UNKNOWN_VARIABLE", "INVALID_TEMPLATE", "EMPTY_MESSAGE"})
"""Template problems keep their own code (the messaging module's), so a client can say what to fix."""


def parse(raw: object) -> JourneyDefinition:
    """Validate ``raw`` (decoded JSON) into a definition, or raise :class:`InvalidDefinition` whose
    ``field`` is the path of the first bad value, e.g. ``definition.steps.1.template``."""
    if not isinstance(raw, dict):
        raise InvalidDefinition(
            [Problem("INVALID_DEFINITION", "definition", "A definition is a JSON object.")]
        )
    try:
        return JourneyDefinition.model_validate(raw)
    except ValidationError as exc:
        raise InvalidDefinition([_problem(raw, error) for error in exc.errors()]) from None


def _problem(raw: dict[str, Any], error: Any) -> Problem:
    context = error.get("ctx") or {}
    parts = _path(raw, error["loc"])
    if context.get("loc"):
        parts.append(str(context["loc"]))
    if context.get("inner"):
        parts.append(str(context["inner"]))
    message = str(context.get("message") or error["msg"]).removeprefix("Value error, ")
    code = str(error.get("type", "")).upper()
    return Problem(
        code if code in TEMPLATE_CODES else "INVALID_DEFINITION", ".".join(["definition", *parts]), message
    )


def _path(raw: object, loc: tuple[str | int, ...]) -> list[str]:
    """pydantic's location without the tags it adds for the member of a discriminated union chosen
    (``steps.0.wait.duration`` → ``steps.0.duration``): a part naming the ``type`` of the object it is
    in, not followed by descending into a key."""
    parts: list[str] = []
    current: Any = raw
    tagged = False
    for part in loc:
        if isinstance(current, dict) and not tagged and current.get("type") == part:
            tagged = True
            continue
        tagged = False
        parts.append(str(part))
        if isinstance(current, dict):
            current = current.get(part if isinstance(part, str) else str(part))
        elif isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current):
            current = current[part]
        else:
            current = None
    return parts
