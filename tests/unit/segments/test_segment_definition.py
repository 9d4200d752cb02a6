"""What a segment definition may say: limits hold before any SQL exists, errors name the path."""

from __future__ import annotations

from typing import Any

import pytest

from domain.errors import DomainError
from domain.segments.definition import LIFECYCLE_STAGES, MAX_CONDITIONS, MAX_DEPTH, parse
from graph.customers.types import LifecycleStage


def match(node: Any) -> dict[str, Any]:
    return {"version": 1, "match": node}


def refusal(raw: Any) -> DomainError:
    with pytest.raises(DomainError) as caught:
        parse(raw)
    assert caught.value.code == "INVALID_SEGMENT"
    return caught.value


def test_a_valid_tree_round_trips_as_stored_json() -> None:
    raw = match(
        {
            "all": [
                {"field": "orders_count", "op": "gte", "value": 2},
                {"not": {"field": "tags", "op": "has_any", "value": ["vip"]}},
                {"purchased": {"category": "tea", "at_least": 2, "within_days": 90}},
            ]
        }
    )
    assert parse(raw).as_json() == {
        "version": 1,
        "match": {
            "all": [
                {"field": "orders_count", "op": "gte", "value": 2},
                {"not": {"field": "tags", "op": "has_any", "value": ["vip"]}},
                {"purchased": {"category": "tea", "at_least": 2, "within_days": 90}},
            ]
        },
    }


def test_errors_name_the_path_of_the_bad_condition() -> None:
    error = refusal(
        match({"all": [{"field": "city", "op": "eq", "value": "x"}, {"any": [{"field": "x", "op": "eq"}]}]})
    )
    assert error.field == "definition.match.all.1.any.0"
    assert "Unknown field 'x'" in error.message


@pytest.mark.parametrize(
    "node",
    [
        {"field": "orders_count", "op": "contains", "value": 1},  # operator of another kind
        {"field": "orders_count", "op": "gte", "value": True},  # a boolean is not a number
        {"field": "orders_count", "op": "gte", "value": 1.5},  # whole numbers only
        {"field": "orders_count", "op": "gte", "value": -1},
        {"field": "total_spent", "op": "gte", "value": 10**16},
        {"field": "probability_active", "op": "gt", "value": 2},
        {"field": "days_since_last_order", "op": "between", "value": [1]},
        {"field": "last_order_at", "op": "before", "value": "1403-01-01x"},
        {"field": "city", "op": "eq", "value": ""},
        {"field": "city", "op": "eq", "value": "x" * 201},
        {"field": "city", "op": "eq", "value": "a\u0007b"},
        {"field": "city", "op": "in", "value": []},
        {"field": "city", "op": "in", "value": ["x"] * 1001},
        {"field": "lifecycle_stage", "op": "in", "value": ["gone"]},
        {"field": "marketing_consent", "op": "is", "value": "yes"},
        {"field": "has_phone", "op": "is_set", "value": True},
        {"purchased": {"at_least": 1}},
        {"purchased": {"product": "a", "at_least": 0}},
        {"spent": {"at_least": 0}},
        {"received_messages": {"within_days": 0}},
        {"in_segment": "not-a-uuid"},
        {"all": []},
        {"all": [{"field": "city", "op": "eq", "value": "x"}], "any": []},
        "orders_count >= 2",
        [],
        None,
    ],
)
def test_bad_conditions_are_refused(node: Any) -> None:
    refusal(match(node))


def test_depth_and_size_are_bounded_before_validation() -> None:
    """A hostile definition (very deep, very wide) is refused without recursing through it."""
    deep: Any = {"field": "city", "op": "eq", "value": "x"}
    for _ in range(10_000):
        deep = {"not": deep}
    assert "nest" in refusal(match(deep)).message
    assert parse(match(_nested(MAX_DEPTH - 1)))
    wide = {"any": [{"field": "city", "op": "eq", "value": "x"}] * (MAX_CONDITIONS + 1)}
    assert str(MAX_CONDITIONS) in refusal(match(wide)).message


def test_the_version_is_required_and_known() -> None:
    refusal({"match": {"field": "city", "op": "eq", "value": "x"}})
    refusal({"version": 2, "match": {"field": "city", "op": "eq", "value": "x"}})
    refusal({"version": 1, "match": {"field": "city", "op": "eq", "value": "x"}, "extra": 1})


def test_the_api_lists_the_same_stages_as_the_conditions() -> None:
    assert [stage.value for stage in LifecycleStage] == list(LIFECYCLE_STAGES)


def _nested(depth: int) -> Any:
    node: Any = {"field": "city", "op": "eq", "value": "x"}
    for _ in range(depth - 1):
        node = {"all": [node]}
    return node
