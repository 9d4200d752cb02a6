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

The parts live in their own modules — :mod:`~domain.automation.journey_triggers`,
:mod:`~domain.automation.journey_conditions`, :mod:`~domain.automation.journey_steps` (with the shared
:mod:`~domain.automation.journey_parts`) — and this module is where the rest of Revisit imports them from.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final, Literal
from uuid import UUID

from pydantic import Field, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from domain.automation.journey_conditions import (
    AudienceCondition,
    Condition,
    EntryRule,
    InSegmentCheck,
    InSegmentCondition,
    MatchesCheck,
    OrderedSinceEnrolment,
    OrderTotalCondition,
    RedeemedCoupon,
)
from domain.automation.journey_parts import (
    COUPON_VARIABLES,
    DATE_TRIGGERS,
    END,
    MAX_CONDITIONS,
    MAX_STEPS,
    ORDER_EVENTS,
    SCHEMA_VERSION,
    Part,
    clock_time,
)
from domain.automation.journey_steps import (
    AddTagStep,
    AnyCheck,
    AnyStep,
    BranchStep,
    ExitIfStep,
    GrantCashbackStep,
    GrantCreditStep,
    IssueCouponStep,
    RemoveTagStep,
    SendSmsStep,
    Step,
    WaitStep,
)
from domain.automation.journey_triggers import (
    TRIGGER_KEYS_OF_EVENT,
    CouponExpiringTrigger,
    CreditExpiringTrigger,
    NthOrderTrigger,
    SegmentTrigger,
    Trigger,
    is_order_trigger,
    trigger_key,
)
from domain.errors import DomainError

__all__ = [
    "DATE_TRIGGERS",
    "END",
    "MAX_STEPS",
    "TEMPLATE_CODES",
    "TRIGGER_KEYS_OF_EVENT",
    "AddTagStep",
    "AnyCheck",
    "AnyStep",
    "AudienceCondition",
    "BranchStep",
    "ExitIfStep",
    "GrantCashbackStep",
    "GrantCreditStep",
    "InSegmentCheck",
    "InSegmentCondition",
    "InvalidDefinition",
    "IssueCouponStep",
    "JourneyDefinition",
    "MatchesCheck",
    "NthOrderTrigger",
    "OrderTotalCondition",
    "OrderedSinceEnrolment",
    "Problem",
    "RedeemedCoupon",
    "RemoveTagStep",
    "SegmentTrigger",
    "SendSmsStep",
    "WaitStep",
    "clock_time",
    "is_order_trigger",
    "parse",
    "trigger_key",
]


class JourneyDefinition(Part):
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
