"""The unified event schema: each event is validated on its own, and bad ones are rejected with reasons."""

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from domain.events.schema import (
    CustomerData,
    EventBatch,
    EventBatchResult,
    EventRejection,
    EventResult,
    EventStatus,
    EventType,
    IncomingEvent,
    OrderData,
    OrderStatus,
    PaymentData,
    RefundData,
    ValidatedEvent,
    parse_event_data,
    validate_event,
)


def order_event(**overrides: Any) -> dict[str, Any]:
    """A valid WooCommerce-style order.created event; keyword arguments replace top-level keys."""
    event: dict[str, Any] = {
        "id": "order-1042-created",
        "type": "order.created",
        "occurred_at": "2024-12-20T18:45:03+03:30",
        "data": {
            "external_id": 1042,
            "number": "1042",
            "status": "wc-processing",
            "currency": "IRT",
            "total": "125000.00",
            "subtotal": "120000.00",
            "shipping_total": "5000.00",
            "coupon_codes": ["YALDA1403"],
            "items": [
                {"product_id": 88, "name": "چای", "sku": "TEA-500", "quantity": 2, "total": "120000.00"}
            ],
            "billing": {"phone": "۰۹۱۲۱۲۳۴۵۶۷", "first_name": "سارا", "city": "تهران"},
            "customer": {"external_id": "57", "phone": "09121234567"},
            "created_at": "2024-12-20T18:45:00+03:30",
        },
    }
    event.update(overrides)
    return event


def with_data(event: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """The event with keys of its data replaced."""
    return {**event, "data": {**event["data"], **changes}}


def accepted(raw: dict[str, Any]) -> ValidatedEvent:
    """Validate and insist the event passed."""
    result = validate_event(raw)
    assert isinstance(result, ValidatedEvent), result
    return result


def rejected(raw: Any) -> EventRejection:
    """Validate and insist the event was rejected."""
    result = validate_event(raw)
    assert isinstance(result, EventRejection), result
    return result


def test_valid_order_event_is_parsed_into_order_data():
    """A WooCommerce order becomes OrderData with ids as strings and amounts as exact decimals."""
    # given
    raw = order_event()

    # when
    result = accepted(raw)

    # then
    assert result.id == "order-1042-created"
    assert result.type is EventType.ORDER_CREATED
    assert isinstance(result.data, OrderData)
    assert result.data.external_id == "1042"
    assert result.data.status is OrderStatus.PROCESSING
    assert result.data.total == Decimal("125000.00")
    assert result.data.items[0].product_id == "88"
    assert result.data.items[0].category_ids == []
    assert result.data.discount_total == Decimal(0)
    assert result.data.credit_used is None  # not reported: the stored amount is kept
    assert result.data.billing is not None
    assert result.data.billing.phone == "۰۹۱۲۱۲۳۴۵۶۷"


@pytest.mark.parametrize(
    ("sent", "status"),
    [
        ("wc-pending", OrderStatus.PENDING),
        ("wc-processing", OrderStatus.PROCESSING),
        ("wc-on-hold", OrderStatus.ON_HOLD),
        ("WC-Completed", OrderStatus.COMPLETED),
        ("wc-cancelled", OrderStatus.CANCELLED),
        ("wc-refunded", OrderStatus.REFUNDED),
        ("wc-failed", OrderStatus.FAILED),
        ("on-hold", OrderStatus.ON_HOLD),
        (" completed ", OrderStatus.COMPLETED),
    ],
)
def test_woocommerce_prefixed_statuses_are_normalised(sent, status):
    """`wc-completed` and `completed` are the same status, whatever the case."""
    # given
    raw = with_data(order_event(), status=sent)

    # when
    result = accepted(raw)

    # then
    assert isinstance(result.data, OrderData)
    assert result.data.status is status


def test_unknown_order_status_is_rejected():
    """A status outside the vocabulary is reported on the status field."""
    # given
    raw = with_data(order_event(), status="wc-shipped")

    # when
    rejection = rejected(raw)

    # then
    assert rejection.id == "order-1042-created"
    assert rejection.reason.startswith("data.status: Input should be 'pending'")


def test_currency_is_upper_cased_and_toman_is_allowed():
    """Plugins may send `irt`; the schema stores `IRT`."""
    # given
    raw = with_data(order_event(), currency=" irt ")

    # when
    result = accepted(raw)

    # then
    assert isinstance(result.data, OrderData)
    assert result.data.currency == "IRT"


def test_currency_that_is_not_three_letters_is_rejected():
    """`RIAL` is not a currency code."""
    # given
    raw = with_data(order_event(), currency="RIAL")

    # when
    rejection = rejected(raw)

    # then
    assert rejection.reason.startswith("data.currency:")


def test_amounts_sent_as_json_numbers_are_kept_exactly():
    """A float total reads as the decimal it prints as, never with binary error."""
    # given
    raw = with_data(order_event(), total=19.99, tax_total=0, currency="USD")

    # when
    result = accepted(raw)

    # then
    assert isinstance(result.data, OrderData)
    assert result.data.total == Decimal("19.99")
    assert result.data.tax_total == Decimal(0)


@pytest.mark.parametrize(
    "field", ["total", "subtotal", "discount_total", "shipping_total", "tax_total", "credit_used"]
)
def test_negative_order_amounts_are_rejected(field):
    """Order amounts are never negative."""
    # given
    raw = with_data(order_event(), **{field: "-1.00"})

    # when
    rejection = rejected(raw)

    # then
    assert rejection.reason == f"data.{field}: Input should be greater than or equal to 0"


def test_item_quantity_below_one_is_rejected_with_its_path():
    """The reason points at the exact item and field."""
    # given
    raw = order_event()
    raw["data"]["items"][0]["quantity"] = 0

    # when
    rejection = rejected(raw)

    # then
    assert rejection.reason == "data.items.0.quantity: Input should be greater than or equal to 1"


def test_guest_order_customer_has_no_external_id():
    """WooCommerce's customer id 0 and an empty id both mean a guest."""
    # given
    zero = with_data(order_event(), customer={"external_id": 0, "phone": "09121234567"})
    empty = with_data(order_event(), customer={"external_id": "", "email": "guest@example.com"})

    # when
    results = accepted(zero), accepted(empty)

    # then
    for result in results:
        assert isinstance(result.data, OrderData)
        assert result.data.customer is not None
        assert result.data.customer.external_id is None


def test_order_without_external_id_is_rejected():
    """The store's order id is what later updates and refunds refer to."""
    # given
    raw = order_event()
    del raw["data"]["external_id"]

    # when
    rejection = rejected(raw)

    # then
    assert rejection.reason == "data.external_id: Field required"


def test_extra_keys_in_the_envelope_and_in_data_are_ignored():
    """Stores send more than the schema describes; the extras do not cause rejection."""
    # given
    raw = order_event(store="example.com", signature="abc")
    raw["data"]["meta_data"] = [{"key": "_digits_phone", "value": "+989121234567"}]
    raw["data"]["items"][0]["variation_id"] = 91

    # when
    result = accepted(raw)

    # then
    assert isinstance(result.data, OrderData)
    assert "meta_data" not in result.data.model_dump()
    assert "store" not in result.event.model_dump()


def test_naive_occurred_at_is_rejected_with_a_clear_message():
    """A time without an offset is ambiguous, so the event is refused and told what to send."""
    # given
    raw = order_event(occurred_at="2024-12-20T18:45:03")

    # when
    rejection = rejected(raw)

    # then
    assert rejection.reason.startswith("occurred_at: Datetime must include a time zone offset")
    assert "+03:30" in rejection.reason


def test_naive_times_inside_data_are_rejected_too():
    """Every time in the schema carries an offset, not just the envelope's."""
    # given
    raw = with_data(order_event(), completed_at="2024-12-20 19:00:00")

    # when
    rejection = rejected(raw)

    # then
    assert rejection.reason.startswith("data.completed_at: Datetime must include a time zone offset")


def test_occurred_at_is_converted_to_utc():
    """Tehran time and UTC describe the same instant; Revisit keeps UTC."""
    # given
    raw = order_event(occurred_at="2024-12-20T18:45:03+03:30")

    # when
    result = accepted(raw)

    # then
    assert result.event.occurred_at == datetime(2024, 12, 20, 15, 15, 3, tzinfo=UTC)
    assert result.event.occurred_at.utcoffset() is not None


def test_unknown_event_type_is_rejected_with_a_reason():
    """The reason names the type field and the types that exist."""
    # given
    raw = order_event(type="order.deleted")

    # when
    rejection = rejected(raw)

    # then
    assert rejection.id == "order-1042-created"
    assert rejection.reason.startswith("type: Input should be 'customer.created'")
    assert "'payment.completed'" in rejection.reason


def test_unsupported_schema_version_is_rejected():
    """Only version 1 exists; a sender on a future version is told so."""
    # given
    raw = order_event(schema_version=2)

    # when
    rejection = rejected(raw)

    # then
    assert rejection.reason == (
        "schema_version: Schema version 2 is not supported; this server understands version 1"
    )


def test_schema_version_defaults_to_one():
    """Senders may leave the version out."""
    # when
    result = accepted(order_event())

    # then
    assert result.event.schema_version == 1


@pytest.mark.parametrize(
    ("raw_id", "reported_id"),
    [(None, None), ("", None), ("x" * 129, None), (77, "77"), ("  e-1  ", "e-1")],
)
def test_rejection_reports_the_event_id_only_when_it_is_usable(raw_id, reported_id):
    """Missing, empty or over-long ids are reported as null; numeric ids as text."""
    # given
    raw = order_event(id=raw_id, type="nope")

    # when
    rejection = rejected(raw)

    # then
    assert rejection.id == reported_id


def test_event_that_is_not_an_object_is_rejected():
    """A stray string in the batch is rejected on its own."""
    # when
    rejection = rejected("order.created")

    # then
    assert rejection == EventRejection(id=None, reason="An event must be a JSON object.")


def test_reason_lists_at_most_five_problems_and_counts_the_rest():
    """Reasons stay short enough for a 500-event response."""
    # given
    raw = {"id": "e-1", "type": "payment.completed", "occurred_at": "2024-12-20T18:45:03Z", "data": {}}
    raw["data"] = {"amount": -1, "currency": "x", "paid_at": "yesterday", "method": ["card"]}

    # when
    rejection = rejected(raw)

    # then
    assert rejection.reason.count("; ") == 5
    assert rejection.reason.endswith("; and 1 more")
    assert rejection.reason.startswith(
        "data.order_external_id: Field required; data.transaction_id: Field required"
    )


@pytest.mark.parametrize(
    ("event_type", "data", "model"),
    [
        ("customer.created", {"external_id": "57", "birthday": "1992-08-14"}, CustomerData),
        ("customer.updated", {"phone": "09121234567", "marketing_consent": "no"}, CustomerData),
        (
            "order.updated",
            {"external_id": "1", "status": "completed", "currency": "USD", "total": 5},
            OrderData,
        ),
        (
            "order.refunded",
            {"order_external_id": "1", "refund_id": "9", "amount": "5.00", "currency": "usd"},
            RefundData,
        ),
        (
            "payment.completed",
            {"order_external_id": "1", "transaction_id": "T-1", "amount": "5", "currency": "IRR"},
            PaymentData,
        ),
    ],
)
def test_event_type_decides_the_data_model(event_type, data, model):
    """customer.* → CustomerData, order.created/updated → OrderData, refunds and payments their own."""
    # given
    event = IncomingEvent.model_validate(
        {"id": "e-1", "type": event_type, "occurred_at": "2024-12-20T18:45:03Z", "data": data}
    )

    # when
    parsed = parse_event_data(event)

    # then
    assert type(parsed) is model


def test_customer_data_reads_birthday_consent_and_blank_fields():
    """Birthdays are dates, consent accepts yes/no words, and blank strings mean unknown."""
    # given
    raw = {
        "id": "c-57",
        "type": "customer.created",
        "occurred_at": "2024-12-20T18:45:03Z",
        "data": {
            "external_id": 57,
            "birthday": "1992-08-14",
            "marketing_consent": "no",
            "email": " ",
            "city": "",
        },
    }

    # when
    result = accepted(raw)

    # then
    assert result.data == CustomerData(external_id="57", birthday=date(1992, 8, 14), marketing_consent=False)


def test_long_names_are_cut_rather_than_rejecting_the_order():
    """A very long product name must not cost the store an order."""
    # given
    raw = order_event()
    raw["data"]["items"][0]["name"] = "چ" * 300

    # when
    result = accepted(raw)

    # then
    assert isinstance(result.data, OrderData)
    assert len(result.data.items[0].name) == 255


def test_parse_event_data_raises_validation_error_relative_to_data():
    """Callers that parse stored events themselves get pydantic's error with data-relative paths."""
    # given
    event = IncomingEvent.model_validate(order_event(data={"external_id": "1"}))

    # when
    with pytest.raises(ValidationError) as caught:
        parse_event_data(event)

    # then
    assert {error["loc"] for error in caught.value.errors()} == {("status",), ("currency",), ("total",)}


def test_batch_with_one_bad_event_accepts_the_two_good_ones():
    """One bad event is rejected with its reason; the others in the batch go through."""
    # given
    bad = order_event(id="bad-1", occurred_at="2024-12-20T18:45:03")
    batch = EventBatch.model_validate(
        {"events": [order_event(id="good-1"), bad, with_data(order_event(id="good-2"), status="completed")]}
    )

    # when
    outcomes = [validate_event(raw) for raw in batch.events]
    summary = EventBatchResult.from_results(
        [
            outcome.as_result()
            if isinstance(outcome, EventRejection)
            else EventResult(id=outcome.id, status=EventStatus.ACCEPTED)
            for outcome in outcomes
        ]
    )

    # then
    assert [result.id for result in summary.results] == ["good-1", "bad-1", "good-2"]
    assert [result.status for result in summary.results] == ["accepted", "rejected", "accepted"]
    assert summary.results[1].reason is not None
    assert summary.results[1].reason.startswith("occurred_at:")
    assert (summary.accepted, summary.duplicates, summary.rejected) == (2, 0, 1)


def test_batch_counts_duplicates_separately():
    """Duplicates are neither accepted nor rejected."""
    # given
    results = [
        EventResult(id="a", status=EventStatus.ACCEPTED),
        EventResult(id="b", status=EventStatus.DUPLICATE),
        EventResult(id="c", status=EventStatus.DUPLICATE),
    ]

    # when
    summary = EventBatchResult.from_results(results)

    # then
    assert (summary.accepted, summary.duplicates, summary.rejected) == (1, 2, 0)


def test_batch_of_500_events_is_allowed():
    """500 is the largest batch."""
    # when
    batch = EventBatch.model_validate({"events": [{"id": str(n)} for n in range(500)]})

    # then
    assert len(batch.events) == 500


@pytest.mark.parametrize("size", [0, 501])
def test_batch_that_is_empty_or_over_500_events_is_refused(size):
    """Batch size is the one thing checked for the batch as a whole."""
    # given
    payload = {"events": [{"id": str(n)} for n in range(size)]}

    # when
    with pytest.raises(ValidationError) as caught:
        EventBatch.model_validate(payload)

    # then
    assert caught.value.errors()[0]["loc"] == ("events",)


def test_batch_does_not_validate_events_itself():
    """Invalid events pass the batch so that each can be rejected on its own."""
    # when
    batch = EventBatch.model_validate({"events": [{"type": "nonsense"}, {}]})

    # then
    assert batch.events == [{"type": "nonsense"}, {}]


def test_published_examples_are_valid_events():
    """The examples shown in the OpenAPI spec pass the validation they document."""
    # given
    examples = IncomingEvent.model_json_schema()["examples"]
    customer_example = CustomerData.model_json_schema()["examples"][0]

    # when
    results = [validate_event(example) for example in examples]

    # then
    assert all(isinstance(result, ValidatedEvent) for result in results)
    assert CustomerData.model_validate(customer_example).external_id == "57"


def test_batch_schema_documents_its_events_as_incoming_events():
    """The spec shows what each event must look like, though validation happens per event."""
    # when
    schema = EventBatch.model_json_schema()

    # then
    events = schema["properties"]["events"]
    assert events["items"] == {"$ref": "#/$defs/IncomingEvent"}
    assert (events["minItems"], events["maxItems"]) == (1, 500)
    data = schema["$defs"]["IncomingEvent"]["properties"]["data"]
    assert [option["$ref"] for option in data["anyOf"]] == [
        "#/$defs/CustomerData",
        "#/$defs/OrderData",
        "#/$defs/RefundData",
        "#/$defs/PaymentData",
    ]
