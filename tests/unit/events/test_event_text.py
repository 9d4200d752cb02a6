"""Text rules of the event schema: what PostgreSQL cannot store, and control characters in identifiers."""

from __future__ import annotations

from typing import Any

import pytest

from domain.events.schema import EventRejection, ValidatedEvent, validate_event
from domain.text import find_unstorable, free_text_problem, identifier_problem, unstorable


def order_event(**data: Any) -> dict[str, Any]:
    """A valid order event; keyword arguments replace keys of its ``data``."""
    return {
        "id": "order-1042",
        "type": "order.updated",
        "occurred_at": "2024-12-20T18:45:03+03:30",
        "data": {
            "external_id": "1042",
            "status": "completed",
            "currency": "IRT",
            "total": "125000",
            "customer": {"external_id": "57", "first_name": "سارا", "email": "sara@example.ir"},
            **data,
        },
    }


@pytest.mark.parametrize(
    ("text", "unstorable_", "identifier", "free_text"),
    [
        ("سارا احمدی", False, False, False),
        ("a\x00b", True, True, True),
        ("lone \ud83d half", True, True, True),
        ("tab\there", False, True, False),
        ("line\nbreak\r\n", False, True, False),
        ("bell\x07", False, True, True),
        ("escape\x1b[0m", False, True, True),
        ("delete\x7f", False, True, True),
        ("😀 paired surrogates are one character", False, False, False),
    ],
)
def test_each_kind_of_text_is_checked_by_its_own_rule(
    text: str, unstorable_: bool, identifier: bool, free_text: bool
) -> None:
    """NUL and lone surrogates are never storable; identifiers refuse every control character; free text
    allows tab and line breaks only."""
    # when / then
    assert (unstorable(text) is not None) is unstorable_
    assert (identifier_problem(text) is not None) is identifier
    assert (free_text_problem(text) is not None) is free_text


def test_the_first_unstorable_string_is_found_with_its_path_keys_included() -> None:
    """The walk reports values by their path and a bad key by the object that holds it."""
    # given
    value = {"a": [1, {"b": "fine", "c": "bad\x00"}], "d": {"k\x00": 1}}
    # when
    found = find_unstorable(value)
    only_key = find_unstorable({"d": {"ok": [{"k\x00": 1}]}})
    # then
    assert found is not None
    assert found[0] == ("a", 1, "c")
    assert only_key == (("d", "ok", 0), "Keys: Text may not contain the NUL character (\\u0000)")
    assert find_unstorable({"fine": ["all", {"of": "it"}]}) is None


def test_walking_deeply_nested_json_does_not_recurse() -> None:
    """A value nested 100,000 levels is walked without a RecursionError."""
    # given
    value: Any = "x\x00"
    for _ in range(100_000):
        value = [value]
    # when
    found = find_unstorable(value)
    # then
    assert found is not None
    assert found[0] == (0,) * 100_000


@pytest.mark.parametrize(
    ("data", "path"),
    [
        ({"customer": {"external_id": "57", "email": "sara\x00@example.ir"}}, "data.customer.email"),
        ({"coupon_codes": ["YALDA\x00"]}, "data.coupon_codes.0"),
        ({"meta": {"note": "\ud800"}}, "data.meta.note"),
    ],
)
def test_an_event_with_unstorable_text_is_rejected_naming_where(data: dict[str, Any], path: str) -> None:
    """Known field or unknown key alike: rejected, and the reason starts with the path."""
    # when
    outcome = validate_event(order_event(**data))
    # then
    assert isinstance(outcome, EventRejection)
    assert outcome.id == "order-1042"
    assert outcome.reason.startswith(f"{path}: Text may not contain")


def test_an_unstorable_event_id_is_not_echoed() -> None:
    """An id with NUL cannot be reported back as the event's id: the result has none."""
    # given
    event = order_event()
    event["id"] = "order\x00-1042"
    # when
    outcome = validate_event(event)
    # then
    assert isinstance(outcome, EventRejection)
    assert outcome.id is None
    assert outcome.reason.startswith("id: ")


@pytest.mark.parametrize(
    ("data", "path"),
    [
        ({"customer": {"external_id": "5\t7"}}, "data.customer.external_id"),
        ({"customer": {"external_id": "57", "phone": "0912\x0b1234567"}}, "data.customer.phone"),
        ({"billing": {"first_name": "سارا\n"}}, None),
        ({"billing": {"last_name": "احمدی\x1b"}}, "data.billing.last_name"),
    ],
)
def test_control_characters_are_refused_in_ids_names_and_phones(
    data: dict[str, Any], path: str | None
) -> None:
    """A tab inside an id or an escape in a name rejects the event; whitespace at the ends is trimmed."""
    # when
    outcome = validate_event(order_event(**data))
    # then
    if path is None:
        assert isinstance(outcome, ValidatedEvent)
    else:
        assert isinstance(outcome, EventRejection)
        assert outcome.reason.startswith(f"{path}: Text may not contain control characters")


def test_free_text_keeps_tabs_and_line_breaks() -> None:
    """A product name and an order number may carry tabs and line breaks; a bell is refused."""
    # given
    items = [{"product_id": "88", "name": "چای\tسبز\nممتاز", "quantity": 1}]
    # when
    kept = validate_event(order_event(items=items, number="10\t42"))
    bell = validate_event(order_event(number="10\x0742"))
    # then
    assert isinstance(kept, ValidatedEvent)
    assert kept.data.items[0].name == "چای\tسبز\nممتاز"  # type: ignore[union-attr]
    assert isinstance(bell, EventRejection)
    assert bell.reason.startswith("data.number: Text may not contain control characters other than tab")


def test_a_quantity_beyond_an_integer_column_is_rejected() -> None:
    """2^31 of one product is not an order line: rejected at data.items.0.quantity."""
    # when
    outcome = validate_event(order_event(items=[{"product_id": "88", "quantity": 2**31}]))
    # then
    assert isinstance(outcome, EventRejection)
    assert outcome.reason.startswith("data.items.0.quantity: ")
