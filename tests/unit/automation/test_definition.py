"""Journey definitions: what is accepted, what is refused (at which path, and why), version 1 still
loading, and the cashback arithmetic."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest

from domain.automation.definition import (
    DATE_TRIGGERS,
    MAX_STEPS,
    GrantCashbackStep,
    JourneyDefinition,
    OrderTotalCondition,
    parse,
    trigger_key,
)
from domain.errors import DomainError
from domain.segments.definition import MAX_DEPTH
from tests.support.automation import CASHBACK_AND_SMS
from tests.support.journeys import winback

TEMPLATE = uuid4()
SEGMENT = uuid4()


def refused(raw: dict[str, Any]) -> tuple[str | None, str]:
    """The path and message ``parse`` refuses ``raw`` with."""
    with pytest.raises(DomainError) as error:
        parse(raw)
    assert error.value.code == "INVALID_DEFINITION"
    return error.value.field, error.value.message


def journey(*steps: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {"trigger": {"type": "event", "event": "customer.created"}, "steps": list(steps), **changes}


def test_a_version_1_definition_loads_as_an_event_journey_once_per_order() -> None:
    """Definitions the first release stored still load: the trigger becomes an event trigger, entry
    once per order, steps s1, s2 by position; what is stored reads back as the same definition."""
    # given
    stored = {**CASHBACK_AND_SMS, "schema_version": 1}
    # when
    definition = parse(stored)
    again = parse(definition.to_json())
    # then
    assert definition.trigger_key == "order.completed"
    assert definition.entry.mode == "once_per_order"
    assert [step.id for step in definition.steps] == ["s1", "s2"]
    assert definition.to_json()["schema_version"] == 2
    assert definition.to_json()["steps"][0]["percent"] == "10"
    assert again == definition


def test_the_issues_winback_journey_is_accepted_and_round_trips() -> None:
    """The win-back scenario is a valid definition, and its JSON reads back unchanged."""
    # given
    raw = winback(TEMPLATE)
    # when
    definition = parse(raw)
    # then
    assert definition.trigger_key == "days_since_last_order"
    assert definition.is_date_triggered
    assert [goal.id for goal in definition.goals()] == ["ordered"]
    assert JourneyDefinition.model_validate(definition.to_json()) == definition


@pytest.mark.parametrize(
    ("trigger", "key"),
    [
        ({"type": "event", "event": "order.created"}, "order.created"),
        ({"type": "event", "event": "customer.updated"}, "customer.updated"),
        ({"type": "nth_order", "n": 3}, "nth_order"),
        ({"type": "segment", "event": "left", "segment_id": str(SEGMENT)}, "segment.left"),
        ({"type": "birthday", "days_before": 0}, "birthday"),
        ({"type": "coupon_expiring", "days_before": 2}, "coupon_expiring"),
    ],
)
def test_each_trigger_is_stored_under_its_key(trigger: dict[str, Any], key: str) -> None:
    """automations.trigger holds what finds the journey: the event name, nth_order, segment.<event>
    or the date trigger's type."""
    # given
    raw = journey({"type": "add_tag", "tag": "x"}, trigger=trigger, entry={"mode": "once_ever"})
    # when
    definition = parse(raw)
    # then
    assert trigger_key(definition.trigger) == key
    assert definition.is_date_triggered == (key in DATE_TRIGGERS)


@pytest.mark.parametrize(
    ("raw", "path"),
    [
        (
            journey({"type": "add_tag", "tag": "x"}, trigger={"type": "event", "event": "order.placed"}),
            "definition.trigger.event",
        ),
        (
            journey({"type": "add_tag", "tag": "x"}, trigger={"type": "nth_order", "n": 0}),
            "definition.trigger.n",
        ),
        (
            journey({"type": "add_tag", "tag": "x"}, trigger={"type": "nth_order", "n": 1001}),
            "definition.trigger.n",
        ),
        (
            journey(
                {"type": "add_tag", "tag": "x"},
                trigger={"type": "days_since_last_order", "min_days": 60, "max_days": 30},
            ),
            "definition.trigger",
        ),
        (
            journey({"type": "add_tag", "tag": "x"}, trigger={"type": "birthday", "days_before": 61}),
            "definition.trigger.days_before",
        ),
        (
            journey({"type": "add_tag", "tag": "x"}, trigger={"type": "credit_expiring", "days_before": 0}),
            "definition.trigger.days_before",
        ),
        (journey(), "definition.steps"),
        (journey(*[{"type": "add_tag", "tag": "x"}] * (MAX_STEPS + 1)), "definition.steps"),
        (journey({"type": "teleport"}), "definition.steps.0"),
        (journey({"type": "wait"}), "definition.steps.0"),
        (journey({"type": "wait", "duration": {"days": 0}}), "definition.steps.0.duration"),
        (journey({"type": "wait", "duration": {"days": -1}}), "definition.steps.0.duration.days"),
        (journey({"type": "wait", "duration": {"days": 3651}}), "definition.steps.0.duration.days"),
        (journey({"type": "wait", "until_time": "24:00"}), "definition.steps.0.until_time"),
        (journey({"type": "wait", "until_weekday": 7}), "definition.steps.0.until_weekday"),
        (journey({"type": "wait", "duration": {"hours": 1}, "until_time": "10:00"}), "definition.steps.0"),
        (
            journey({"type": "wait", "until_date_field": "birthday", "offset_days": 61}),
            "definition.steps.0.offset_days",
        ),
        (journey({"type": "send_sms", "template": ""}), "definition.steps.0.template"),
        (journey({"type": "send_sms", "template": "x" * 1001}), "definition.steps.0.template"),
        (journey({"type": "send_sms", "template": "hi\x00"}), "definition.steps.0.template"),
        (journey({"type": "send_sms", "template": "{nickname}"}), "definition.steps.0.template"),
        (journey({"type": "send_sms", "template": "{coupon_code}"}), "definition.steps.0.template"),
        (journey({"type": "send_sms", "template": "{link}"}), "definition.steps.0"),
        (
            journey({"type": "send_sms", "template": "{link}", "link": "javascript:x"}),
            "definition.steps.0.link",
        ),
        (
            journey({"type": "send_sms", "template": "x", "when_capped": "drop"}),
            "definition.steps.0.when_capped",
        ),
        (journey({"type": "grant_credit", "amount": 0}), "definition.steps.0.amount"),
        (journey({"type": "grant_credit", "amount": 10**13}), "definition.steps.0.amount"),
        (journey({"type": "grant_cashback", "percent": "5"}), "definition.steps.0"),
        (journey({"type": "issue_coupon", "template_id": "not-a-uuid"}), "definition.steps.0.template_id"),
        (journey({"type": "add_tag", "tag": ""}), "definition.steps.0.tag"),
        (journey({"type": "add_tag", "tag": "   "}), "definition.steps.0.tag"),
        (journey({"type": "add_tag", "tag": "t" * 65}), "definition.steps.0.tag"),
        (journey({"type": "add_tag", "tag": "a\nb"}), "definition.steps.0.tag"),
        (journey({"type": "add_tag", "tag": "x", "id": "Bad Id"}), "definition.steps.0.id"),
        (
            journey({"type": "add_tag", "tag": "x", "id": "a"}, {"type": "add_tag", "tag": "y", "id": "a"}),
            "definition.steps.1.id",
        ),
        (journey({"type": "add_tag", "tag": "x", "id": "end"}), "definition.steps.0.id"),
        (
            journey(
                {"id": "a", "type": "add_tag", "tag": "x"},
                {"type": "branch", "if": {"type": "ordered_since_enrolment"}, "then": "a"},
            ),
            "definition.steps.1.then",
        ),
        (
            journey({"type": "branch", "if": {"type": "ordered_since_enrolment"}, "else": "nowhere"}),
            "definition.steps.0.else",
        ),
        (journey({"type": "exit_if", "if": {"type": "redeemed_coupon"}}), "definition.steps.0.if"),
        (
            journey(
                {
                    "type": "exit_if",
                    "if": {"type": "matches", "condition": {"field": "shoe_size", "op": "eq", "value": 1}},
                }
            ),
            "definition.steps.0.if.condition",
        ),
        (
            journey(
                {"type": "add_tag", "tag": "x"},
                conditions=[{"type": "order_total", "op": "gte", "amount": 1}],
            ),
            "definition.conditions.0",
        ),
        (journey({"type": "add_tag", "tag": "x"}, entry={"mode": "once_per_days"}), "definition.entry"),
        (
            journey({"type": "add_tag", "tag": "x"}, entry={"mode": "once_ever", "days": 3}),
            "definition.entry",
        ),
        (
            journey({"type": "add_tag", "tag": "x"}, entry={"mode": "once_ever", "cap": 0}),
            "definition.entry.cap",
        ),
        (journey({"type": "add_tag", "tag": "x"}, entry={"mode": "once_per_order"}), "definition.entry.mode"),
        (journey({"type": "add_tag", "tag": "x"}, attribution_days=91), "definition.attribution_days"),
        (journey({"type": "add_tag", "tag": "x"}, surprise=True), "definition.surprise"),
    ],
)
def test_a_bad_definition_is_refused_at_the_path_of_the_bad_field(raw: dict[str, Any], path: str) -> None:
    """Each value outside its limits, unknown type or incoherent reference is INVALID_DEFINITION whose
    field is the path a client can point at."""
    # when
    field, message = refused(raw)
    # then
    assert field == path
    assert message


def test_an_audience_condition_names_the_path_inside_its_segment_tree() -> None:
    """A bad leaf deep in a segment tree is reported below the condition's own path."""
    # given
    raw = journey(
        {"type": "add_tag", "tag": "x"},
        conditions=[
            {"type": "audience", "condition": {"all": [{"field": "orders_count", "op": "gte", "value": -1}]}}
        ],
    )
    # when
    field, _ = refused(raw)
    # then
    assert field is not None and field.startswith("definition.conditions.0.condition.all.0")


def test_a_definition_that_is_not_an_object_is_refused() -> None:
    """A list or a string is not a definition."""
    # when
    with pytest.raises(DomainError) as error:
        parse([])  # type: ignore[arg-type]
    # then
    assert (error.value.code, error.value.field) == ("INVALID_DEFINITION", "definition")


def test_steps_get_ids_by_position_unless_they_name_their_own() -> None:
    """Steps without an id are s1, s2, … by position; a branch may jump forward to a named step or end."""
    # given
    raw = journey(
        {
            "type": "branch",
            "if": {"type": "in_segment", "segment_id": str(SEGMENT)},
            "then": "vip",
            "else": "end",
        },
        {"type": "add_tag", "tag": "regular"},
        {"id": "vip", "type": "add_tag", "tag": "vip"},
    )
    # when
    definition = parse(raw)
    # then
    assert [step.id for step in definition.steps] == ["s1", "s2", "vip"]
    assert definition.segments_used() == {SEGMENT}


def test_coupon_variables_are_allowed_after_an_issue_coupon_step_or_with_a_coupon_trigger() -> None:
    """{coupon_code} is fine after issue_coupon, and in a coupon_expiring journey from the start."""
    # given
    issued = journey(
        {"type": "issue_coupon", "template_id": str(TEMPLATE)},
        {"type": "send_sms", "template": "{coupon_code}"},
    )
    expiring = journey(
        {"type": "send_sms", "template": "{coupon_code} {coupon_expiry}"},
        trigger={"type": "coupon_expiring", "days_before": 3},
    )
    # when
    definitions = [parse(issued), parse(expiring)]
    # then
    assert [d.coupon_templates_used() for d in definitions] == [{TEMPLATE}, set()]


@pytest.mark.parametrize("percent", ["0", "-1", "100.01", "12.345"])
def test_a_cashback_percent_must_be_above_zero_and_at_most_100(percent: str) -> None:
    """Zero, negative, above 100 or more than two decimals is refused at the percent's path."""
    # given
    raw = {**CASHBACK_AND_SMS, "steps": [{"type": "grant_cashback", "percent": percent}]}
    # when
    field, _ = refused(raw)
    # then
    assert field == "definition.steps.0.percent"


@pytest.mark.parametrize(
    ("total", "shipping", "refunded", "percent", "cap", "expected"),
    [
        (1_000_000, 50_000, 0, "10", None, 95_000),  # shipping is not cashback-worthy
        (1_000_000, 0, 0, "10", 20_000, 20_000),  # capped
        (999, 0, 0, "12.5", None, 124),  # 124.875 rounds down
        (30_000, 50_000, 0, "10", None, 0),  # shipping above the total earns nothing
        (1_000_000, 50_000, 450_000, "10", None, 50_000),  # a partial refund before the grant
        (1_000_000, 0, 1_000_000, "10", None, 0),  # refunded in full
    ],
)
def test_cashback_excludes_shipping_and_refunds_rounds_down_and_is_capped(
    total: int, shipping: int, refunded: int, percent: str, cap: int | None, expected: int
) -> None:
    """Cashback = floor(max(total - shipping - refunded, 0) × percent / 100), then the cap."""
    # given
    step = GrantCashbackStep(id="s1", percent=Decimal(percent), cap=cap)
    # when
    amount = step.cashback(total=total, shipping_total=shipping, refunded_total=refunded)
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


def test_an_audience_tree_nested_past_the_segment_depth_limit_is_refused() -> None:
    """A condition tree nested deeper than segments allow (MAX_DEPTH) is refused at the condition's
    path, as a segment would be, instead of being compiled into SQL."""
    # given
    tree: dict[str, Any] = {"field": "orders_count", "op": "gte", "value": 1}
    for _ in range(MAX_DEPTH + 1):
        tree = {"all": [tree]}
    raw = journey({"type": "add_tag", "tag": "x"}, conditions=[{"type": "audience", "condition": tree}])
    # when
    field, message = refused(raw)
    # then
    assert field is not None and field.startswith("definition.conditions.0")
    assert str(MAX_DEPTH) in message
