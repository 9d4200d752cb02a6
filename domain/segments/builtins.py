"""The lifecycle segments every store has, written as ordinary conditions the owner can read.

Their thresholds come from the store's purchase cycle C (:mod:`domain.intelligence.store`): 30 days
until the store has enough returning customers, then the median of its customers' median days between
orders. Each refresh rewrites a definition whose thresholds moved (a new revision); the customers'
``lifecycle_stage`` column is computed with the same thresholds (:mod:`domain.intelligence.metrics`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final
from uuid import UUID

from domain.intelligence.store import StoreModel
from domain.segments.models import Segment


@dataclass(frozen=True)
class Builtin:
    key: str
    name: str


BUILTINS: Final = (
    Builtin("new", "New customers"),
    Builtin("active", "Active customers"),
    Builtin("loyal", "Loyal customers"),
    Builtin("vip", "VIP customers"),
    Builtin("at_risk", "At risk"),
    Builtin("about_to_lose", "About to lose"),
    Builtin("churned", "Churned"),
)


def _days(op: str, value: int) -> dict[str, Any]:
    return {"field": "days_since_last_order", "op": op, "value": value}


def definition_of(key: str, model: StoreModel) -> dict[str, Any]:
    """The condition tree of built-in ``key`` for a store with this model."""
    cycle, loyal = model.cycle_days, model.loyal_orders
    recent = _days("lte", cycle)
    conditions: dict[str, list[dict[str, Any]]] = {
        "new": [{"field": "orders_count", "op": "eq", "value": 1}, recent],
        "active": [{"field": "orders_count", "op": "between", "value": [2, loyal - 1]}, recent],
        "loyal": [{"field": "orders_count", "op": "gte", "value": loyal}, recent],
        "vip": [{"field": "monetary_score", "op": "eq", "value": 5}, _days("lte", 3 * cycle)],
        "at_risk": [
            {"field": "orders_count", "op": "gte", "value": 1},
            _days("gt", cycle),
            _days("lte", 2 * cycle),
        ],
        "about_to_lose": [
            {"field": "orders_count", "op": "gte", "value": 1},
            _days("gt", 2 * cycle),
            _days("lte", 3 * cycle),
        ],
        "churned": [{"field": "orders_count", "op": "gte", "value": 1}, _days("gt", 3 * cycle)],
    }
    return {"version": 1, "match": {"all": conditions[key]}}


def description_of(key: str, model: StoreModel) -> str:
    """How the built-in is defined, in words, with this store's figures."""
    cycle, loyal = model.cycle_days, model.loyal_orders
    source = (
        f"the store's purchase cycle of {cycle} days (the median time between orders of its "
        f"{model.returning_customers} returning customers)"
        if model.cycle_learnt
        else f"the default purchase cycle of {cycle} days (until the store has enough returning customers)"
    )
    words = {
        "new": f"One order, placed in the last {cycle} days.",
        "active": f"2 to {loyal - 1} orders, the last in the last {cycle} days.",
        "loyal": f"At least {loyal} orders, the last in the last {cycle} days.",
        "vip": f"The top fifth of customers by money spent, with an order in the last {3 * cycle} days.",
        "at_risk": f"Last order {cycle + 1} to {2 * cycle} days ago.",
        "about_to_lose": f"Last order {2 * cycle + 1} to {3 * cycle} days ago.",
        "churned": f"Last order more than {3 * cycle} days ago.",
    }
    return f"{words[key]} Built on {source}."


async def ensure_builtins(*, tenant_id: UUID, model: StoreModel) -> list[Segment]:
    """Create the store's built-in segments, or bring their definitions to the store's current model."""
    existing = {
        segment.builtin_key: segment for segment in await Segment.filter(tenant_id=tenant_id, kind="builtin")
    }
    taken = set(
        await Segment.filter(tenant_id=tenant_id).exclude(kind="builtin").values_list("name", flat=True)
    )
    segments: list[Segment] = []
    for builtin in BUILTINS:
        definition, description = definition_of(builtin.key, model), description_of(builtin.key, model)
        segment = existing.get(builtin.key)
        if segment is None:
            name = builtin.name if builtin.name not in taken else f"{builtin.name} (built-in)"
            segment = await Segment.create(
                tenant_id=tenant_id,
                name=name,
                kind="builtin",
                builtin_key=builtin.key,
                definition=definition,
                description=description,
            )
        elif segment.definition != definition or segment.description != description:
            segment.revision += int(segment.definition != definition)
            segment.definition, segment.description = definition, description
            await segment.save(update_fields=["definition", "description", "revision", "updated_at"])
        segments.append(segment)
    return segments
