"""What a segment's condition tree may say, validated before anything is stored or compiled.

A definition is versioned JSON::

    {"version": 1, "match": {"all": [
        {"field": "orders_count", "op": "gte", "value": 3},
        {"any": [{"field": "city", "op": "in", "value": ["Tehran"]},
                 {"not": {"field": "tags", "op": "has_any", "value": ["vip"]}}]},
        {"purchased": {"product": "p-12", "at_least": 2, "within_days": 90}},
        {"in_segment": "6f1c…"}
    ]}}

Groups are ``all`` / ``any`` (lists of nodes) and ``not`` (one node). Leaves compare a customer field
(:data:`FIELDS`) or state a purchase fact (``purchased``, ``spent``, ``used_coupon``,
``received_messages``) or membership of another segment (``in_segment``). A condition about
something a customer does not have (no orders yet, no city) is false, so ``not`` includes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Annotated, Any, Final, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, ValidationError, model_validator

from domain.errors import DomainError
from domain.text import identifier_problem

VERSION: Final = 1
MAX_DEPTH: Final = 8
MAX_CONDITIONS: Final = 200
MAX_LIST: Final = 1000
MAX_DAYS: Final = 36_500
MAX_AMOUNT: Final = 10**15

LIFECYCLE_STAGES: Final = ("prospect", "new", "active", "loyal", "at_risk", "about_to_lose", "churned")


class Kind(StrEnum):
    NUMBER = "number"
    DAYS = "days"
    """Whole days elapsed since a moment (``days_since_last_order``)."""
    DATE = "date"
    TEXT = "text"
    TAGS = "tags"
    BOOLEAN = "boolean"
    STAGE = "stage"


@dataclass(frozen=True)
class FieldSpec:
    """One field a condition may test, what kind of value it holds, and its bounds."""

    kind: Kind
    description: str
    low: float = 0
    high: float = MAX_AMOUNT
    whole: bool = True


FIELDS: Final[dict[str, FieldSpec]] = {
    "orders_count": FieldSpec(Kind.NUMBER, "Orders that count as purchases.", high=10**9),
    "total_spent": FieldSpec(Kind.NUMBER, "Money spent, refunds deducted (minor units)."),
    "average_order_value": FieldSpec(Kind.NUMBER, "Total spent / orders (minor units)."),
    "credit_balance": FieldSpec(Kind.NUMBER, "Available store credit (minor units)."),
    "refunds_count": FieldSpec(Kind.NUMBER, "Orders with money refunded.", high=10**9),
    "recency_score": FieldSpec(Kind.NUMBER, "RFM recency, 1–5 (5: bought most recently).", 1, 5),
    "frequency_score": FieldSpec(Kind.NUMBER, "RFM frequency, 1–5 (5: orders most often).", 1, 5),
    "monetary_score": FieldSpec(Kind.NUMBER, "RFM monetary, 1–5 (5: spends most).", 1, 5),
    "probability_active": FieldSpec(Kind.NUMBER, "Chance the customer still buys, 0–1.", 0, 1, False),
    "churn_risk": FieldSpec(Kind.NUMBER, "1 − probability_active.", 0, 1, False),
    "average_days_between_orders": FieldSpec(Kind.NUMBER, "Mean days between orders.", 0, MAX_DAYS, False),
    "median_days_between_orders": FieldSpec(Kind.NUMBER, "Median days between orders.", 0, MAX_DAYS, False),
    "birth_month": FieldSpec(Kind.NUMBER, "Month of birth in the store's calendar, 1–12.", 1, 12),
    "birth_day": FieldSpec(Kind.NUMBER, "Day of month of birth in the store's calendar, 1–31.", 1, 31),
    "days_since_last_order": FieldSpec(Kind.DAYS, "Whole days since the last order.", high=MAX_DAYS),
    "days_since_first_order": FieldSpec(Kind.DAYS, "Whole days since the first order.", high=MAX_DAYS),
    "days_since_signup": FieldSpec(Kind.DAYS, "Whole days since the customer became known.", high=MAX_DAYS),
    "days_until_expected_order": FieldSpec(
        Kind.DAYS, "Whole days until the expected next order (negative: overdue).", -MAX_DAYS, MAX_DAYS
    ),
    "first_order_at": FieldSpec(Kind.DATE, "Date of the first order, in the store's timezone."),
    "last_order_at": FieldSpec(Kind.DATE, "Date of the last order, in the store's timezone."),
    "signed_up_at": FieldSpec(Kind.DATE, "Date the customer became known, in the store's timezone."),
    "expected_next_order_at": FieldSpec(Kind.DATE, "Date of the expected next order."),
    "city": FieldSpec(Kind.TEXT, "City, compared without regard to case."),
    "tags": FieldSpec(Kind.TAGS, "The customer's tags."),
    "marketing_consent": FieldSpec(Kind.BOOLEAN, "Agreed to marketing messages."),
    "has_phone": FieldSpec(Kind.BOOLEAN, "Has a phone number."),
    "has_email": FieldSpec(Kind.BOOLEAN, "Has an e-mail address."),
    "registered": FieldSpec(Kind.BOOLEAN, "Has an account at the store (not a guest)."),
    "lifecycle_stage": FieldSpec(Kind.STAGE, "Lifecycle stage: " + ", ".join(LIFECYCLE_STAGES) + "."),
}

OPERATORS: Final[dict[Kind, tuple[str, ...]]] = {
    Kind.NUMBER: ("eq", "ne", "gt", "gte", "lt", "lte", "between", "is_set", "not_set"),
    Kind.DAYS: ("eq", "gt", "gte", "lt", "lte", "between", "is_set", "not_set"),
    Kind.DATE: ("on", "before", "after", "between", "is_set", "not_set"),
    Kind.TEXT: ("eq", "ne", "in", "not_in", "contains", "is_set", "not_set"),
    Kind.TAGS: ("has_any", "has_all", "has_none"),
    Kind.BOOLEAN: ("is",),
    Kind.STAGE: ("in", "not_in"),
}

Text = Annotated[str, Field(min_length=1, max_length=200)]
Days = Annotated[int, Field(ge=1, le=MAX_DAYS)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class FieldCondition(_Strict):
    """Compare one customer field with a value."""

    field: str
    op: str
    value: Any = None

    @model_validator(mode="after")
    def _check(self) -> FieldCondition:
        spec = FIELDS.get(self.field)
        if spec is None:
            raise ValueError(f"Unknown field {self.field!r}; known: {', '.join(sorted(FIELDS))}.")
        if self.op not in OPERATORS[spec.kind]:
            raise ValueError(f"{self.field} takes the operators {', '.join(OPERATORS[spec.kind])}.")
        object.__setattr__(self, "value", _checked_value(spec, self.op, self.value))
        return self


class Purchase(_Strict):
    """Bought a product or something in a category at least ``at_least`` times (orders)."""

    product: Text | None = None
    category: Text | None = None
    at_least: Annotated[int, Field(ge=1, le=100_000)] = 1
    within_days: Days | None = None

    @model_validator(mode="after")
    def _one_target(self) -> Purchase:
        if (self.product is None) == (self.category is None):
            raise ValueError("Name either a product or a category.")
        _check_text(self.product or self.category or "")
        return self


class Spending(_Strict):
    """Spent at least ``at_least`` (minor units, refunds deducted), ever or in the last N days."""

    at_least: Annotated[int, Field(ge=1, le=MAX_AMOUNT)]
    within_days: Days | None = None


class CouponUse(_Strict):
    """Ordered with a coupon (a given code, or any), ever or in the last N days."""

    code: Text | None = None
    within_days: Days | None = None

    @model_validator(mode="after")
    def _clean(self) -> CouponUse:
        if self.code is not None:
            _check_text(self.code)
        return self


class MessagesReceived(_Strict):
    """Was sent at least ``at_least`` SMS, ever or in the last N days."""

    at_least: Annotated[int, Field(ge=1, le=100_000)] = 1
    within_days: Days | None = None


class PurchasedNode(_Strict):
    purchased: Purchase


class SpentNode(_Strict):
    spent: Spending


class UsedCouponNode(_Strict):
    used_coupon: CouponUse


class ReceivedMessagesNode(_Strict):
    received_messages: MessagesReceived


class InSegmentNode(_Strict):
    """Is currently a member of another segment of the store."""

    in_segment: UUID

    model_config = ConfigDict(extra="forbid", frozen=True, strict=False)


class AllNode(_Strict):
    all: Annotated[list[Node], Field(min_length=1, max_length=MAX_CONDITIONS)]


class AnyNode(_Strict):
    any: Annotated[list[Node], Field(min_length=1, max_length=MAX_CONDITIONS)]


class NotNode(_Strict):
    not_: Node = Field(alias="not")


_KEYS: Final = ("all", "any", "not", "purchased", "spent", "used_coupon", "received_messages", "in_segment")


def _tag(raw: Any) -> str | None:
    """Which kind of node ``raw`` is (decoded JSON when validating, a model when serialising)."""
    if isinstance(raw, dict):
        return next((f"node:{key}" for key in _KEYS if key in raw), "node:field")
    return _TAGS.get(type(raw))


Node = Annotated[
    Annotated[AllNode, Tag("node:all")]
    | Annotated[AnyNode, Tag("node:any")]
    | Annotated[NotNode, Tag("node:not")]
    | Annotated[PurchasedNode, Tag("node:purchased")]
    | Annotated[SpentNode, Tag("node:spent")]
    | Annotated[UsedCouponNode, Tag("node:used_coupon")]
    | Annotated[ReceivedMessagesNode, Tag("node:received_messages")]
    | Annotated[InSegmentNode, Tag("node:in_segment")]
    | Annotated[FieldCondition, Tag("node:field")],
    Discriminator(_tag, custom_error_type="node", custom_error_message="A condition is a JSON object."),
]


class Definition(_Strict):
    """A validated condition tree."""

    version: Literal[1]
    match: Node

    def segments_used(self) -> set[UUID]:
        """Other segments this one is defined by (``in_segment``)."""
        return {node.in_segment for node in walk(self.match) if isinstance(node, InSegmentNode)}

    def as_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


_TAGS: Final[dict[type, str]] = {
    AllNode: "node:all",
    AnyNode: "node:any",
    NotNode: "node:not",
    PurchasedNode: "node:purchased",
    SpentNode: "node:spent",
    UsedCouponNode: "node:used_coupon",
    ReceivedMessagesNode: "node:received_messages",
    InSegmentNode: "node:in_segment",
    FieldCondition: "node:field",
}

AllNode.model_rebuild()
AnyNode.model_rebuild()
NotNode.model_rebuild()
Definition.model_rebuild()


def parse(raw: object) -> Definition:
    """Validate ``raw`` (decoded JSON) into a definition, or raise ``INVALID_SEGMENT`` naming the path."""
    if not isinstance(raw, dict):
        raise DomainError("INVALID_SEGMENT", "A definition is a JSON object.", field="definition")
    depth, conditions = _shape(raw)
    if depth > MAX_DEPTH:
        raise DomainError("INVALID_SEGMENT", f"Conditions nest at most {MAX_DEPTH} deep.", field="definition")
    if conditions > MAX_CONDITIONS:
        raise DomainError(
            "INVALID_SEGMENT", f"A definition has at most {MAX_CONDITIONS} conditions.", field="definition"
        )
    try:
        return Definition.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        path = ".".join(str(part) for part in ("definition", *first["loc"]) if not _is_tag(part))
        message = str(first["msg"]).removeprefix("Value error, ")
        raise DomainError("INVALID_SEGMENT", message, field=path) from None


def walk(node: Node) -> list[Node]:
    """Every node of the tree, parents before children."""
    found: list[Node] = []
    stack: list[Node] = [node]
    while stack:
        current = stack.pop()
        found.append(current)
        if isinstance(current, AllNode):
            stack.extend(reversed(current.all))
        elif isinstance(current, AnyNode):
            stack.extend(reversed(current.any))
        elif isinstance(current, NotNode):
            stack.append(current.not_)
    return found


def _is_tag(part: object) -> bool:
    return isinstance(part, str) and part.startswith("node:")


def _shape(raw: object) -> tuple[int, int]:
    """Nesting depth of groups and number of leaves, without recursion (hostile input may be deep)."""
    deepest, leaves = 0, 0
    stack: list[tuple[object, int]] = [(raw.get("match") if isinstance(raw, dict) else None, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        if deepest > MAX_DEPTH or leaves > MAX_CONDITIONS:
            break
        if not isinstance(node, dict):
            leaves += 1
            continue
        children = node.get("all", node.get("any"))
        if isinstance(children, list):
            stack.extend((child, depth + 1) for child in children[: MAX_CONDITIONS + 1])
        elif "not" in node:
            stack.append((node["not"], depth + 1))
        else:
            leaves += 1
    return deepest, leaves


def _check_text(value: str) -> str:
    problem = identifier_problem(value)
    if problem:
        raise ValueError(problem)
    return value


def _checked_value(spec: FieldSpec, op: str, value: Any) -> Any:
    """The value ``op`` needs for a field of this kind, checked (``ValueError`` says what is wrong)."""
    if op in ("is_set", "not_set"):
        if value is not None:
            raise ValueError(f"{op} takes no value.")
        return None
    if spec.kind in (Kind.NUMBER, Kind.DAYS):
        if op == "between":
            low, high = _pair(value)
            return [_number(spec, low), _number(spec, high)]
        return _number(spec, value)
    if spec.kind is Kind.DATE:
        if op == "between":
            low, high = _pair(value)
            return [_date(low), _date(high)]
        return _date(value)
    if spec.kind is Kind.BOOLEAN:
        if not isinstance(value, bool):
            raise ValueError("The value is true or false.")
        return value
    if spec.kind is Kind.TEXT and op in ("eq", "ne", "contains"):
        if not isinstance(value, str) or not value.strip() or len(value) > 200:
            raise ValueError("The value is a text of 1 to 200 characters.")
        return _check_text(value.strip())
    texts = _texts(value)
    if spec.kind is Kind.STAGE:
        unknown = sorted(set(texts) - set(LIFECYCLE_STAGES))
        if unknown:
            raise ValueError(f"Unknown stage {unknown[0]!r}; stages: {', '.join(LIFECYCLE_STAGES)}.")
    return texts


def _pair(value: Any) -> tuple[Any, Any]:
    if not isinstance(value, list) or len(value) != 2:
        raise ValueError("between takes [low, high].")
    return value[0], value[1]


def _number(spec: FieldSpec, value: Any) -> float | int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("The value is a number.")
    if spec.whole and not float(value).is_integer():
        raise ValueError("The value is a whole number.")
    if not spec.low <= value <= spec.high:
        raise ValueError(f"The value is between {spec.low:g} and {spec.high:g}.")
    return int(value) if spec.whole else float(value)


def _date(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("The value is a date, YYYY-MM-DD.")
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise ValueError("The value is a date, YYYY-MM-DD.") from None


def _texts(value: Any) -> list[str]:
    if not isinstance(value, list) or not value or len(value) > MAX_LIST:
        raise ValueError(f"The value is a list of 1 to {MAX_LIST} texts.")
    cleaned: list[str] = []
    for item in value:
        if not isinstance(item, str) or not item.strip() or len(item) > 200:
            raise ValueError("Each item is a text of 1 to 200 characters.")
        cleaned.append(_check_text(item.strip()))
    return cleaned
