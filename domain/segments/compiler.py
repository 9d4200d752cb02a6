"""A segment definition as one parameterised SQL condition over ``customers AS c``.

No value from a definition is ever spliced into the SQL text: every value becomes a ``$n`` parameter
with an explicit type, and the text is built only from the fixed fragments below. Time-relative
conditions ("no order in 60 days") become timestamps computed from ``now`` in Python, so they compare
with plain columns and the statement reads the same at any moment.

Two shapes, one meaning (tests hold them to the same members):

- ``Scope.ALL`` (refreshing or previewing a whole store): purchase facts are one grouped sub-query
  each, ``c.id IN (SELECT customer_id … GROUP BY customer_id HAVING …)``, which PostgreSQL joins as a set.
- ``Scope.SOME`` (the customers one batch of events touched): the same facts as correlated sub-queries
  looking up each customer's own orders by index, so the cost follows the batch, not the store.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta
from enum import Enum
from typing import Any, Final
from uuid import UUID
from zoneinfo import ZoneInfo

from domain.customers.service import PURCHASE_STATUSES
from domain.intelligence import bgnbd
from domain.intelligence.prediction import Placeholders, expected_next_order_sql, probability_active_sql
from domain.messaging.consent import MARKETING_ALLOWED_SQL
from domain.segments.definition import (
    FIELDS,
    AllNode,
    AnyNode,
    Definition,
    FieldCondition,
    InSegmentNode,
    Kind,
    Node,
    NotNode,
    PurchasedNode,
    ReceivedMessagesNode,
    SpentNode,
    UsedCouponNode,
)

DELIVERED_MESSAGES: Final = ("sent", "delivered")


class Scope(Enum):
    ALL = "all"
    SOME = "some"


@dataclass
class Parameters:
    """The values of one statement, in ``$n`` order. ``$1`` is always the tenant."""

    values: list[Any] = field(default_factory=list)

    def add(self, value: Any, sql_type: str) -> str:
        self.values.append(value)
        return f"${len(self.values)}::{sql_type}"


@dataclass(frozen=True)
class Clock:
    """``now`` and the store's timezone, which turn days and dates into timestamps."""

    now: datetime
    timezone: ZoneInfo

    def days_ago(self, days: int) -> datetime:
        return self.now - timedelta(days=days)

    def days_ahead(self, days: int) -> datetime:
        return self.now + timedelta(days=days)

    def start_of(self, day: date) -> datetime:
        """Midnight at the start of ``day`` in the store's timezone."""
        return datetime.combine(day, time(), tzinfo=self.timezone)


_NUMBER_COLUMNS: Final[dict[str, str]] = {
    "orders_count": "c.orders_count",
    "total_spent": "c.total_spent",
    "average_order_value": "c.average_order_value",
    "refunds_count": "c.refunds_count",
    "recency_score": "c.recency_score",
    "frequency_score": "c.frequency_score",
    "monetary_score": "c.monetary_score",
    "average_days_between_orders": "c.average_days_between_orders",
    "median_days_between_orders": "c.median_days_between_orders",
    "birth_month": "c.birth_month",
    "birth_day": "c.birth_day",
    "credit_balance": (
        "COALESCE((SELECT ca.available FROM credit_accounts AS ca"
        " WHERE ca.tenant_id = c.tenant_id AND ca.customer_id = c.id), 0)"
    ),
}
_MOMENT_COLUMNS: Final[dict[str, str]] = {
    "days_since_last_order": "c.last_order_at",
    "days_since_first_order": "c.first_order_at",
    "days_since_signup": "c.created_at",
    "first_order_at": "c.first_order_at",
    "last_order_at": "c.last_order_at",
    "signed_up_at": "c.created_at",
}
_BOOLEAN_COLUMNS: Final[dict[str, str]] = {
    "marketing_consent": MARKETING_ALLOWED_SQL,  # the store's consent rule and its suppression list
    "has_phone": "(c.phone IS NOT NULL)",
    "has_email": "(c.email IS NOT NULL)",
    "registered": "(c.external_id IS NOT NULL)",
}
_COMPARISONS: Final = {"eq": "=", "ne": "<>", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}


class _ModelPlaceholders:
    """The moment and the model's parameters, each added to the statement when first used (a parameter
    the text never names would have no type)."""

    def __init__(self, parameters: Parameters, now: datetime, model: bgnbd.Parameters) -> None:
        self._parameters, self._values = parameters, {"now": now, **asdict(model)}
        self._added: dict[str, str] = {}

    def _get(self, name: str) -> str:
        if name not in self._added:
            sql_type = "timestamptz" if name == "now" else "float8"
            self._added[name] = self._parameters.add(self._values[name], sql_type)
        return self._added[name]

    @property
    def now(self) -> str:
        return self._get("now")

    @property
    def r(self) -> str:
        return self._get("r")

    @property
    def alpha(self) -> str:
        return self._get("alpha")

    @property
    def a(self) -> str:
        return self._get("a")

    @property
    def b(self) -> str:
        return self._get("b")


@dataclass
class Compiler:
    """Compiles definitions of one store against one clock into ``Parameters`` shared by a statement.

    ``model`` is the store's purchase model: the chance of being active and the expected next order
    are computed from it in the statement (:mod:`domain.intelligence.prediction`)."""

    tenant_id: UUID
    clock: Clock
    scope: Scope
    model: bgnbd.Parameters = bgnbd.PRIORS
    parameters: Parameters = field(default_factory=Parameters)
    _at: Placeholders | None = None

    def __post_init__(self) -> None:
        if not self.parameters.values:
            self.parameters.add(self.tenant_id, "uuid")

    def _prediction(self) -> Placeholders:
        if self._at is None:
            self._at = _ModelPlaceholders(self.parameters, self.clock.now, self.model)
        return self._at

    def _number(self, name: str) -> str:
        if name == "probability_active":
            return probability_active_sql(self._prediction())
        if name == "churn_risk":
            return f"(1 - {probability_active_sql(self._prediction())})"
        return _NUMBER_COLUMNS[name]

    def _moment(self, name: str) -> str:
        if name in ("expected_next_order_at", "days_until_expected_order"):
            return expected_next_order_sql(self._prediction())
        return _MOMENT_COLUMNS[name]

    def condition(self, definition: Definition) -> str:
        """The SQL condition ``definition`` sets on ``c`` (a row of ``customers``)."""
        return self._node(definition.match)

    def _node(self, node: Node) -> str:
        if isinstance(node, AllNode):
            return "(" + " AND ".join(self._node(child) for child in node.all) + ")"
        if isinstance(node, AnyNode):
            return "(" + " OR ".join(self._node(child) for child in node.any) + ")"
        if isinstance(node, NotNode):
            return f"(NOT {self._node(node.not_)})"
        # Every leaf is two-valued: what a customer lacks (no orders, no city) makes it false, not NULL,
        # so NOT includes them.
        return f"COALESCE({self._leaf(node)}, false)"

    def _leaf(self, node: Node) -> str:
        if isinstance(node, FieldCondition):
            return self._field(node)
        if isinstance(node, PurchasedNode):
            return self._purchased(node)
        if isinstance(node, SpentNode):
            return self._spent(node)
        if isinstance(node, UsedCouponNode):
            return self._used_coupon(node)
        if isinstance(node, ReceivedMessagesNode):
            return self._received(node)
        if isinstance(node, InSegmentNode):
            segment = self.parameters.add(node.in_segment, "uuid")
            if self.scope is Scope.ALL:  # one set for the whole store, hashed once
                return (
                    "c.id IN (SELECT sm.customer_id FROM segment_memberships AS sm WHERE sm.tenant_id = $1"
                    f" AND sm.segment_id = {segment} AND sm.left_at IS NULL)"
                )
            return (
                "EXISTS (SELECT 1 FROM segment_memberships AS sm WHERE sm.tenant_id = $1"
                f" AND sm.segment_id = {segment} AND sm.customer_id = c.id AND sm.left_at IS NULL)"
            )
        raise AssertionError(f"no SQL for {type(node).__name__}")

    def _field(self, node: FieldCondition) -> str:
        spec = FIELDS[node.field]
        if node.op in ("is_set", "not_set"):
            column = self._column(node.field, spec.kind)
            test = "<> ''" if spec.kind is Kind.TEXT else "IS NOT NULL"
            if node.op == "not_set":
                test = "= ''" if spec.kind is Kind.TEXT else "IS NULL"
            return f"{column} {test}"
        if spec.kind is Kind.NUMBER:
            sql_type = "bigint" if spec.whole else "float8"
            return self._compare(self._number(node.field), node.op, node.value, sql_type)
        if spec.kind is Kind.DAYS:
            return self._days(node)
        if spec.kind is Kind.DATE:
            return self._dates(self._moment(node.field), node.op, node.value)
        if spec.kind is Kind.TEXT:
            return self._city(node.op, node.value)
        if spec.kind is Kind.TAGS:
            tags = self.parameters.add(node.value, "text[]")
            return {"has_any": f"c.tags ?| {tags}", "has_all": f"c.tags ?& {tags}"}.get(
                node.op, f"NOT (c.tags ?| {tags})"
            )
        if spec.kind is Kind.BOOLEAN:
            return f"{_BOOLEAN_COLUMNS[node.field]} = {self.parameters.add(node.value, 'bool')}"
        stages = self.parameters.add(node.value, "text[]")
        if node.op == "in":
            return f"c.lifecycle_stage = ANY({stages})"
        return f"c.lifecycle_stage <> ALL({stages})"

    def _column(self, name: str, kind: Kind) -> str:
        if kind is Kind.TEXT:
            return "c.city"
        if name in FIELDS and FIELDS[name].kind is Kind.NUMBER:
            return self._number(name)
        if name in FIELDS and FIELDS[name].kind in (Kind.DAYS, Kind.DATE):
            return self._moment(name)
        return _BOOLEAN_COLUMNS[name]

    def _compare(self, column: str, op: str, value: Any, sql_type: str) -> str:
        if op == "between":
            low, high = (self.parameters.add(bound, sql_type) for bound in value)
            return f"{column} BETWEEN {low} AND {high}"
        return f"{column} {_COMPARISONS[op]} {self.parameters.add(value, sql_type)}"

    def _days(self, node: FieldCondition) -> str:
        """Whole days since (or until) a moment, as a range of that moment: sargable and exact."""
        column = self._moment(node.field)
        low, high = (node.value, node.value) if node.op != "between" else node.value
        bounds: dict[str, tuple[int | None, int | None]] = {
            "eq": (low, high),
            "between": (low, high),
            "gte": (low, None),
            "gt": (low + 1, None),
            "lte": (None, high),
            "lt": (None, high - 1),
        }
        least, most = bounds[node.op]
        parts: list[str] = []
        if node.field == "days_until_expected_order":
            if least is not None:
                parts.append(
                    f"{column} >= {self.parameters.add(self.clock.days_ahead(least), 'timestamptz')}"
                )
            if most is not None:
                parts.append(
                    f"{column} < {self.parameters.add(self.clock.days_ahead(most + 1), 'timestamptz')}"
                )
        else:
            if least is not None:
                parts.append(f"{column} <= {self.parameters.add(self.clock.days_ago(least), 'timestamptz')}")
            if most is not None:
                parts.append(
                    f"{column} > {self.parameters.add(self.clock.days_ago(most + 1), 'timestamptz')}"
                )
        return "(" + " AND ".join(parts) + ")"

    def _dates(self, column: str, op: str, value: Any) -> str:
        first, last = (value, value) if op != "between" else value
        start = self.clock.start_of(date.fromisoformat(first))
        end = self.clock.start_of(date.fromisoformat(last) + timedelta(days=1))
        if op == "before":
            return f"{column} < {self.parameters.add(start, 'timestamptz')}"
        if op == "after":
            return f"{column} >= {self.parameters.add(end, 'timestamptz')}"
        low, high = self.parameters.add(start, "timestamptz"), self.parameters.add(end, "timestamptz")
        return f"({column} >= {low} AND {column} < {high})"

    def _city(self, op: str, value: Any) -> str:
        if op in ("in", "not_in"):
            cities = self.parameters.add([city.lower() for city in value], "text[]")
            test = f"lower(c.city) = ANY({cities})" if op == "in" else f"lower(c.city) <> ALL({cities})"
            return f"(c.city <> '' AND {test})"
        city = self.parameters.add(value.lower(), "text")
        if op == "contains":
            return f"strpos(lower(c.city), {city}) > 0"
        return f"(c.city <> '' AND lower(c.city) {_COMPARISONS[op]} {city})"

    # Purchase facts --------------------------------------------------------------------------

    def _orders_filter(self, within_days: int | None, alias: str = "o") -> str:
        statuses = self.parameters.add(list(PURCHASE_STATUSES), "text[]")
        text = f"{alias}.tenant_id = $1 AND {alias}.status = ANY({statuses})"
        if within_days is not None:
            since = self.parameters.add(self.clock.days_ago(within_days), "timestamptz")
            text += f" AND {alias}.placed_at >= {since}"
        return text

    def _per_customer(self, source: str, where: str, having: str, alias: str = "o") -> str:
        """``having`` holds for the customer: one grouped set (ALL) or a look-up of their rows (SOME)."""
        if self.scope is Scope.ALL:
            return (
                f"c.id IN (SELECT {alias}.customer_id FROM {source} WHERE {where}"
                f" AND {alias}.customer_id IS NOT NULL GROUP BY {alias}.customer_id HAVING {having})"
            )
        return f"(SELECT {having} FROM {source} WHERE {where} AND {alias}.customer_id = c.id)"

    def _purchased(self, node: PurchasedNode) -> str:
        fact = node.purchased
        if fact.product is not None:
            target = f"i.product_id = {self.parameters.add(fact.product, 'text')}"
        else:
            target = f"i.category_ids ? {self.parameters.add(fact.category, 'text')}"
        source = "orders AS o JOIN order_items AS i ON i.tenant_id = o.tenant_id AND i.order_id = o.id"
        where = f"{self._orders_filter(fact.within_days)} AND {target}"
        times = self.parameters.add(fact.at_least, "bigint")
        return self._per_customer(source, where, f"count(DISTINCT o.id) >= {times}")

    def _spent(self, node: SpentNode) -> str:
        fact = node.spent
        amount = self.parameters.add(fact.at_least, "bigint")
        if fact.within_days is None:
            return f"c.total_spent >= {amount}"
        where = self._orders_filter(fact.within_days)
        return self._per_customer(
            "orders AS o", where, f"COALESCE(sum(GREATEST(o.total - o.refunded_total, 0)), 0) >= {amount}"
        )

    def _used_coupon(self, node: UsedCouponNode) -> str:
        fact = node.used_coupon
        where = f"{self._orders_filter(fact.within_days)} AND jsonb_array_length(o.coupon_codes) > 0"
        if fact.code is not None:
            code = self.parameters.add(fact.code.lower(), "text")
            where += (
                " AND EXISTS (SELECT 1 FROM jsonb_array_elements_text(o.coupon_codes) AS used(code)"
                f" WHERE lower(used.code) = {code})"
            )
        return self._per_customer("orders AS o", where, "count(*) > 0")

    def _received(self, node: ReceivedMessagesNode) -> str:
        fact = node.received_messages
        statuses = self.parameters.add(list(DELIVERED_MESSAGES), "text[]")
        where = f"m.tenant_id = $1 AND m.status = ANY({statuses})"
        if fact.within_days is not None:
            since = self.parameters.add(self.clock.days_ago(fact.within_days), "timestamptz")
            where += f" AND m.created_at >= {since}"
        times = self.parameters.add(fact.at_least, "bigint")
        return self._per_customer("outbound_messages AS m", where, f"count(*) >= {times}", alias="m")
