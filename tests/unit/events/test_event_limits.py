"""The event schema's numeric and time limits: values PostgreSQL or Python could not hold are rejected
with the field, never raised out of validation (found by fuzzing)."""

from __future__ import annotations

from typing import Any

import pytest

from domain.events.schema import MAX_AMOUNT, EventRejection, ValidatedEvent, validate_event


def order_event(**data: Any) -> dict[str, Any]:
    return {
        "id": "e-1",
        "type": "order.updated",
        "occurred_at": "2026-11-20T10:00:00+03:30",
        "data": {"external_id": "1042", "status": "completed", "currency": "IRT", "total": "1000", **data},
    }


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"occurred_at": "9999-12-31T23:59:59-12:00"}, "occurred_at"),
        ({"occurred_at": "0001-01-01T00:00:00+14:00"}, "occurred_at"),
        ({"data": {"created_at": "0001-01-01T00:00:00+01:00"}}, "data.created_at"),
    ],
)
def test_a_time_outside_the_years_one_to_9999_in_utc_is_rejected_naming_it(
    changes: dict[str, Any], field: str
) -> None:
    """Converting such a time to UTC overflows; the event is rejected instead, with the field's path."""
    # given
    raw = order_event(**changes.pop("data", {}))
    raw.update(changes)
    # when
    outcome = validate_event(raw)
    # then
    assert isinstance(outcome, EventRejection)
    assert outcome.reason.startswith(f"{field}: Datetime in UTC must fall within the years 1 to 9999")


@pytest.mark.parametrize("field", ["total", "subtotal", "credit_used"])
def test_an_amount_over_the_cap_is_rejected_naming_it(field: str) -> None:
    """An amount above 10^15 major units would not fit a 64-bit column in minor units: rejected."""
    # when
    outcome = validate_event(order_event(**{field: "1e30"}))
    # then
    assert isinstance(outcome, EventRejection)
    assert outcome.reason.startswith(f"data.{field}: Input should be less than or equal to")


def test_an_amount_at_the_cap_is_accepted() -> None:
    """The cap itself is allowed."""
    # when
    outcome = validate_event(order_event(total=str(MAX_AMOUNT)))
    # then
    assert isinstance(outcome, ValidatedEvent)


def test_an_order_number_longer_than_its_column_is_cut_to_64_characters() -> None:
    """The order number is kept in a 64-character column; a longer one is cut, as the schema says."""
    # when
    outcome = validate_event(order_event(number="۱" * 100))
    # then
    assert isinstance(outcome, ValidatedEvent)
    assert outcome.data.number == "۱" * 64  # type: ignore[union-attr]
