"""Automation definitions: what is accepted, what is refused and why, and the cashback arithmetic."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from domain.automation.definition import AutomationDefinition, GrantCashbackStep, OrderTotalCondition
from tests.support.automation import CASHBACK_AND_SMS


def errors_of(raw: dict[str, Any]) -> list[tuple[str, tuple[Any, ...]]]:
    with pytest.raises(ValidationError) as error:
        AutomationDefinition.model_validate(raw)
    return [(item["type"], item["loc"]) for item in error.value.errors()]


def test_a_definition_round_trips_through_json() -> None:
    """What is stored reads back as the same definition, percentages exactly."""
    # given
    definition = AutomationDefinition.model_validate(CASHBACK_AND_SMS)
    # when
    stored = definition.to_json()
    # then
    assert AutomationDefinition.model_validate(stored) == definition
    assert stored["schema_version"] == 1
    assert stored["steps"][0]["percent"] == "10"
    assert stored["steps"][1]["purpose"] == "transactional"


@pytest.mark.parametrize("percent", ["0", "-1", "100.01", "12.345"])
def test_a_cashback_percent_must_be_above_zero_and_at_most_100(percent: str) -> None:
    """Zero, negative, above 100 or more than two decimals is refused at the percent's path."""
    # given
    raw = {**CASHBACK_AND_SMS, "steps": [{"type": "grant_cashback", "percent": percent}]}
    # when
    errors = errors_of(raw)
    # then
    assert [loc for _, loc in errors] == [("steps", 0, "grant_cashback", "percent")]


def test_a_template_may_only_use_the_offered_variables() -> None:
    """An unknown placeholder fails at save time with its own error type."""
    # given
    raw = {**CASHBACK_AND_SMS, "steps": [{"type": "send_sms", "template": "Hi {first_name}, {coupon}"}]}
    # when
    errors = errors_of(raw)
    # then
    assert errors == [("unknown_variable", ("steps", 0, "send_sms", "template"))]


def test_an_automation_needs_at_least_one_step_and_a_known_trigger() -> None:
    """Empty steps, an unknown trigger and an unknown step type are each refused."""
    # given
    raw = {"trigger": "order.placed", "steps": []}
    unknown_step = {**CASHBACK_AND_SMS, "steps": [{"type": "issue_coupon"}]}
    # when
    errors = errors_of(raw)
    unknown = errors_of(unknown_step)
    # then
    assert {loc for _, loc in errors} == {("trigger",), ("steps",)}
    assert unknown == [("union_tag_invalid", ("steps", 0))]


@pytest.mark.parametrize(
    ("total", "shipping", "percent", "cap", "expected"),
    [
        (1_000_000, 50_000, "10", None, 95_000),  # shipping is not cashback-worthy
        (1_000_000, 0, "10", 20_000, 20_000),  # capped
        (999, 0, "12.5", None, 124),  # 124.875 rounds down
        (30_000, 50_000, "10", None, 0),  # shipping above the total earns nothing
    ],
)
def test_cashback_excludes_shipping_rounds_down_and_is_capped(
    total: int, shipping: int, percent: str, cap: int | None, expected: int
) -> None:
    """Cashback = floor((total - shipping) × percent / 100), then the cap."""
    # given
    step = GrantCashbackStep(percent=Decimal(percent), cap=cap)
    # when
    amount = step.cashback(total=total, shipping_total=shipping)
    # then
    assert amount == expected


@pytest.mark.parametrize(
    ("op", "matches"),
    [
        ("gte", [False, True, True]),
        ("gt", [False, False, True]),
        ("lte", [True, True, False]),
        ("lt", [True, False, False]),
        ("eq", [False, True, False]),
    ],
)
def test_order_total_conditions_compare_as_named(op: str, matches: list[bool]) -> None:
    """Each operator compares the order total with the amount as its name says."""
    # given
    condition = OrderTotalCondition.model_validate({"type": "order_total", "op": op, "amount": 100})
    # when
    results = [condition.matches(total=total) for total in (99, 100, 101)]
    # then
    assert results == matches
