"""The unified event schema: what any store, on any platform, sends to Revisit.

This module is a public contract. The models below are what the REST endpoint documents in its
OpenAPI spec, so their docstrings and field descriptions are written for the people integrating a
store, not for us. Version 1 is the only version; a change that breaks senders needs version 2.

Validation is per event: `EventBatch` only checks that a batch is a list of at most 500 JSON
objects, and `validate_event` then turns each object into a `ValidatedEvent` or an
`EventRejection`, so one bad event never rejects the others.

No string anywhere in an event, keys included, may carry NUL or an unpaired surrogate (the raw event
is stored as sent); ids, names, phones and e-mail addresses carry no control characters at all, free
text (product names, reasons) may carry tabs and line breaks. See `domain.text`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from functools import partial
from typing import Annotated, Any, Final

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    field_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError

from domain.text import IDENTIFIER, FreeText, IdentifierText, describe_path, find_unstorable, unstorable

SUPPORTED_SCHEMA_VERSIONS: Final = frozenset({1})
MAX_BATCH_SIZE: Final = 500
MAX_EVENT_ID_LENGTH: Final = 128
MAX_EXTERNAL_ID_LENGTH: Final = 64
MAX_EMAIL_LENGTH: Final = 254
MAX_QUANTITY: Final = 2**31 - 1
MAX_REASON_ERRORS: Final = 5
"""A rejection reason lists at most this many problems, then says how many more there were."""
MAX_AMOUNT: Final = Decimal(10**15)
"""The largest amount an event may carry, in major units: far above any order, and even with three
decimal places it fits the 64-bit columns amounts are kept in."""


# --- small reusable field types -------------------------------------------------------------------


def _blank_to_none(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        return None
    return value


def _guest_to_none(value: Any) -> Any:
    # WooCommerce reports guests as customer id 0; no platform uses 0 for a real account.
    if value in (0, "0") and not isinstance(value, bool):
        return None
    return _blank_to_none(value)


def _truncate(value: str, *, limit: int) -> str:
    return value[:limit]


def _drop_blank(values: list[str]) -> list[str]:
    return [value for value in values if value]


def _upper(value: Any) -> Any:
    return value.strip().upper() if isinstance(value, str) else value


def _to_utc(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise PydanticCustomError(
            "timezone_required",
            "Datetime must include a time zone offset, such as 2024-12-20T18:45:00+03:30 or "
            "2024-12-20T15:15:00Z",
        )
    try:
        return value.astimezone(UTC)
    except OverflowError:
        # 0001-01-01T00:00+14:00 or 9999-12-31T23:59-12:00: in UTC that falls outside years 1 to 9999.
        raise PydanticCustomError(
            "datetime_out_of_range", "Datetime in UTC must fall within the years 1 to 9999"
        ) from None


# Identifiers, names, phones and e-mail addresses refuse every control character; free text (a product
# name, an order number, a reason) may carry tabs and line breaks. No text may carry NUL (domain.text).
ExternalId = Annotated[str, StringConstraints(min_length=1, max_length=MAX_EXTERNAL_ID_LENGTH), IDENTIFIER]
OptionalExternalId = Annotated[ExternalId | None, BeforeValidator(_blank_to_none)]
CustomerExternalId = Annotated[ExternalId | None, BeforeValidator(_guest_to_none)]
ShortText = Annotated[FreeText, AfterValidator(partial(_truncate, limit=100))]
LongText = Annotated[FreeText, AfterValidator(partial(_truncate, limit=255))]
OptionalShortText = Annotated[ShortText | None, BeforeValidator(_blank_to_none)]
NameText = Annotated[IdentifierText, AfterValidator(partial(_truncate, limit=100))]
OptionalNameText = Annotated[NameText | None, BeforeValidator(_blank_to_none)]
RawPhone = Annotated[
    Annotated[str, StringConstraints(max_length=64), IDENTIFIER] | None, BeforeValidator(_blank_to_none)
]
Email = Annotated[
    Annotated[str, StringConstraints(max_length=MAX_EMAIL_LENGTH), IDENTIFIER] | None,
    BeforeValidator(_blank_to_none),
]
Codes = Annotated[list[IdentifierText], AfterValidator(_drop_blank)]
Amount = Annotated[Decimal, Field(ge=0, le=MAX_AMOUNT)]
Currency = Annotated[str, BeforeValidator(_upper), StringConstraints(pattern=r"^[A-Z]{3}$")]
Timestamp = Annotated[datetime, AfterValidator(_to_utc)]
OptionalTimestamp = Annotated[Timestamp | None, BeforeValidator(_blank_to_none)]


class _DocumentedAs:
    """Validate as one type but document as another in the JSON schema.

    The batch accepts any JSON objects (each is validated on its own later) yet the OpenAPI spec
    should show what those objects must look like.
    """

    def __init__(self, documented: Any) -> None:
        self._adapter: TypeAdapter[Any] = TypeAdapter(documented)

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return handler(self._adapter.core_schema)


class _Payload(BaseModel):
    """Shared settings: ids may arrive as numbers, whitespace is trimmed, unknown keys are ignored."""

    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True, str_strip_whitespace=True)


# --- enumerations ---------------------------------------------------------------------------------


class EventType(StrEnum):
    """What happened in the store. The type decides the shape of the event's `data`."""

    CUSTOMER_CREATED = "customer.created"
    CUSTOMER_UPDATED = "customer.updated"
    ORDER_CREATED = "order.created"
    ORDER_UPDATED = "order.updated"
    ORDER_REFUNDED = "order.refunded"
    PAYMENT_COMPLETED = "payment.completed"


class OrderStatus(StrEnum):
    """The order's status in the store, in WooCommerce's vocabulary.

    WooCommerce's internal spellings with a `wc-` prefix (`wc-completed`) are accepted too, in
    any letter case, and mean the same status.
    """

    PENDING = "pending"
    PROCESSING = "processing"
    ON_HOLD = "on-hold"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"
    FAILED = "failed"


def _normalise_status(value: Any) -> Any:
    if isinstance(value, str):
        return value.strip().lower().removeprefix("wc-")
    return value


def _normalise_type(value: Any) -> Any:
    return value.strip().lower() if isinstance(value, str) else value


# --- event data -----------------------------------------------------------------------------------


class CustomerData(_Payload):
    """A customer as the store knows them.

    Revisit recognises a customer by `external_id`, else by phone, else by e-mail, so send at least
    one of them. Leave out a field the store does not know, or send it as `null`.
    """

    external_id: CustomerExternalId = Field(
        default=None,
        description="The store's customer id. Leave it out (or send `0`, as WooCommerce does) for a guest.",
        examples=["57"],
    )
    phone: RawPhone = Field(
        default=None,
        description=(
            "The phone number as the customer typed it. Local forms, Persian or Arabic digits and "
            "spaces are fine; Revisit stores it in E.164 (`+989121234567`)."
        ),
        examples=["09121234567", "۰۹۱۲۱۲۳۴۵۶۷", "+98 912 123 4567"],
    )
    email: Email = Field(default=None, description="E-mail address.", examples=["sara@example.com"])
    first_name: OptionalNameText = Field(
        default=None, description="Given name (up to 100 characters; longer is cut).", examples=["سارا"]
    )
    last_name: OptionalNameText = Field(
        default=None, description="Family name (up to 100 characters; longer is cut).", examples=["احمدی"]
    )
    city: OptionalNameText = Field(default=None, description="City.", examples=["تهران"])
    birthday: Annotated[date | None, BeforeValidator(_blank_to_none)] = Field(
        default=None,
        description="Date of birth in the Gregorian calendar, `YYYY-MM-DD`.",
        examples=["1992-08-14"],
    )
    marketing_consent: bool | None = Field(
        default=None,
        description=(
            "Whether the customer agreed to marketing messages. Leave it out when the store does not ask."
        ),
        examples=[True],
    )
    created_at: OptionalTimestamp = Field(
        default=None,
        description="When the customer's account was created, with a time zone offset.",
        examples=["2023-03-01T09:12:00+03:30"],
    )

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "external_id": "57",
                    "phone": "09121234567",
                    "email": "sara@example.com",
                    "first_name": "سارا",
                    "last_name": "احمدی",
                    "city": "تهران",
                    "birthday": "1992-08-14",
                    "marketing_consent": True,
                    "created_at": "2023-03-01T09:12:00+03:30",
                }
            ]
        }
    )


class OrderItemData(_Payload):
    """One line of an order."""

    product_id: ExternalId = Field(
        description="The store's product id (the variation's parent product for variable products).",
        examples=["88"],
    )
    name: LongText = Field(
        default="", description="Product name (up to 255 characters; longer is cut).", examples=["چای ماسالا"]
    )
    sku: ShortText = Field(default="", description="Stock keeping unit.", examples=["TEA-500"])
    quantity: int = Field(default=1, ge=1, le=MAX_QUANTITY, description="How many were bought.", examples=[2])
    total: Amount = Field(
        default=Decimal(0),
        description="What the line cost after line discounts, in major units of the order's currency.",
        examples=["1200000.00"],
    )
    category_ids: Codes = Field(
        default_factory=list,
        description="The store's ids of the product's categories.",
        examples=[["12", "31"]],
    )


class BillingData(_Payload):
    """The billing details typed at checkout. Often the only contact details of a guest."""

    phone: RawPhone = Field(default=None, description="Billing phone, as typed.", examples=["09121234567"])
    first_name: OptionalNameText = Field(default=None, description="Given name.", examples=["سارا"])
    last_name: OptionalNameText = Field(default=None, description="Family name.", examples=["احمدی"])
    email: Email = Field(default=None, description="Billing e-mail address.", examples=["sara@example.com"])
    city: OptionalNameText = Field(default=None, description="Billing city.", examples=["تهران"])


_ORDER_EXAMPLE: Final[dict[str, Any]] = {
    "external_id": "1042",
    "number": "1042",
    "status": "processing",
    "currency": "IRT",
    "total": "1250000.00",
    "subtotal": "1200000.00",
    "discount_total": "50000.00",
    "shipping_total": "100000.00",
    "tax_total": "0",
    "credit_used": "0",
    "coupon_codes": ["YALDA1403"],
    "items": [
        {
            "product_id": "88",
            "name": "چای ماسالا",
            "sku": "TEA-500",
            "quantity": 2,
            "total": "1200000.00",
            "category_ids": ["12"],
        }
    ],
    "billing": {"phone": "09121234567", "first_name": "سارا", "city": "تهران"},
    "customer": {"external_id": "57", "phone": "09121234567", "email": "sara@example.com"},
    "created_at": "2024-12-20T18:45:00+03:30",
}


class OrderData(_Payload):
    """An order as the store sees it now. Send the whole order on every change, not just what changed.

    Amounts are decimal strings (recommended, `"125000.00"`) or JSON numbers in major units of
    `currency`; none may be negative or more than 10^15 (1000000000000000).
    """

    external_id: ExternalId = Field(description="The store's order id.", examples=["1042"])
    number: Annotated[FreeText, AfterValidator(partial(_truncate, limit=64))] = Field(
        default="",
        description=(
            "The order number shown to the customer, if it differs from the id (up to 64 characters; "
            "longer is cut)."
        ),
        examples=["1042"],
    )
    status: Annotated[OrderStatus, BeforeValidator(_normalise_status)] = Field(
        description="The order's status; `wc-` prefixed WooCommerce statuses are accepted.",
        examples=["completed"],
    )
    currency: Currency = Field(
        description="ISO 4217 code (any case), or `IRT` for Toman.", examples=["IRT", "IRR", "USD"]
    )
    total: Amount = Field(description="What the customer paid in total.", examples=["1250000.00"])
    subtotal: Amount = Field(default=Decimal(0), description="Sum of the lines before order discounts.")
    discount_total: Amount = Field(default=Decimal(0), description="Discounts, coupons included.")
    shipping_total: Amount = Field(default=Decimal(0), description="Shipping charged.")
    tax_total: Amount = Field(default=Decimal(0), description="Tax charged.")
    credit_used: Amount | None = Field(
        default=None,
        description=(
            "Revisit store credit the customer spent on this order at checkout. Leave it out when the "
            "sender does not know it (e.g. WooCommerce's own webhooks): what Revisit has is kept."
        ),
        examples=["50000"],
    )
    coupon_codes: Codes = Field(
        default_factory=list, description="Coupon codes applied to the order.", examples=[["YALDA1403"]]
    )
    items: list[OrderItemData] = Field(default_factory=list, description="The order's lines.")
    billing: BillingData | None = Field(default=None, description="Billing details typed at checkout.")
    customer: CustomerData | None = Field(
        default=None,
        description=(
            "Who placed the order. A guest has no `external_id`; Revisit then uses the phone or e-mail."
        ),
    )
    created_at: OptionalTimestamp = Field(
        default=None,
        description=(
            "When the order was placed, with a time zone offset. Defaults to the event's `occurred_at`."
        ),
        examples=["2024-12-20T18:45:00+03:30"],
    )
    completed_at: OptionalTimestamp = Field(
        default=None, description="When the order was completed, if it has been.", examples=[None]
    )

    model_config = ConfigDict(json_schema_extra={"examples": [_ORDER_EXAMPLE]})


class RefundData(_Payload):
    """Money the store gave back on an order. Send one event per refund."""

    order_external_id: ExternalId = Field(
        description="The store's id of the refunded order.", examples=["1042"]
    )
    refund_id: ExternalId = Field(description="The store's id of this refund.", examples=["1077"])
    amount: Amount = Field(
        description="How much was refunded, as a positive amount in major units of `currency`.",
        examples=["300000.00"],
    )
    currency: Currency = Field(description="ISO 4217 code (any case), or `IRT` for Toman.", examples=["IRT"])
    reason: OptionalShortText = Field(default=None, description="Why, as the store recorded it.")


class PaymentData(_Payload):
    """A payment the store received for an order."""

    order_external_id: ExternalId = Field(description="The store's id of the paid order.", examples=["1042"])
    transaction_id: Annotated[str, StringConstraints(min_length=1, max_length=100), IDENTIFIER] = Field(
        description="The payment gateway's transaction reference.",
        examples=["A00000000000000000000000000123456789"],
    )
    amount: Amount = Field(
        description="The amount paid, in major units of `currency`.", examples=["1250000.00"]
    )
    currency: Currency = Field(description="ISO 4217 code (any case), or `IRT` for Toman.", examples=["IRT"])
    method: Annotated[FreeText, AfterValidator(partial(_truncate, limit=64))] = Field(
        default="", description="The payment method or gateway.", examples=["zarinpal"]
    )
    paid_at: OptionalTimestamp = Field(
        default=None,
        description="When it was paid, with a time zone offset.",
        examples=["2024-12-20T18:46:10+03:30"],
    )


EventData = CustomerData | OrderData | RefundData | PaymentData
"""The parsed `data` of an event, whichever its type."""

DATA_MODELS: Final[Mapping[EventType, type[EventData]]] = {
    EventType.CUSTOMER_CREATED: CustomerData,
    EventType.CUSTOMER_UPDATED: CustomerData,
    EventType.ORDER_CREATED: OrderData,
    EventType.ORDER_UPDATED: OrderData,
    EventType.ORDER_REFUNDED: RefundData,
    EventType.PAYMENT_COMPLETED: PaymentData,
}


# --- the envelope ---------------------------------------------------------------------------------


class IncomingEvent(_Payload):
    """One thing that happened in the store.

    `id` makes sending safe to repeat: an event whose id Revisit has already received from the
    store is reported as a duplicate and not processed again. `data` has the shape that `type`
    names: `customer.*` → CustomerData, `order.created` and `order.updated` → OrderData,
    `order.refunded` → RefundData, `payment.completed` → PaymentData. Keys Revisit does not know
    are ignored, so a store may send more than is described here.
    """

    id: Annotated[str, StringConstraints(min_length=1, max_length=MAX_EVENT_ID_LENGTH), IDENTIFIER] = Field(
        description="The sender's id for this event, stable across retries (1 to 128 characters).",
        examples=["order-1042-created", "3f0c2a1e-8b7d-4c55-9a51-2d0b6f7e9c11"],
    )
    type: Annotated[EventType, BeforeValidator(_normalise_type)] = Field(
        description="What happened.", examples=["order.created"]
    )
    occurred_at: Timestamp = Field(
        description="When it happened in the store, with a time zone offset. Times without one are rejected.",
        examples=["2024-12-20T18:45:03+03:30"],
    )
    schema_version: int = Field(
        default=1, description="The version of this schema the event follows. Only `1` exists.", examples=[1]
    )
    data: Annotated[dict[str, Any], _DocumentedAs(EventData)] = Field(
        description="What happened, shaped by `type`."
    )

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "order-1042-created",
                    "type": "order.created",
                    "occurred_at": "2024-12-20T18:45:03+03:30",
                    "schema_version": 1,
                    "data": _ORDER_EXAMPLE,
                }
            ]
        }
    )

    @field_validator("schema_version")
    @classmethod
    def _supported_version(cls, version: int) -> int:
        if version not in SUPPORTED_SCHEMA_VERSIONS:
            raise PydanticCustomError(
                "unsupported_schema_version",
                "Schema version {version} is not supported; this server understands version 1",
                {"version": version},
            )
        return version


def parse_event_data(event: IncomingEvent) -> EventData:
    """Validate `event.data` against the model its `type` names and return the parsed model.

    Raises `pydantic.ValidationError` (locations relative to `data`) when the data does not fit.
    """
    return DATA_MODELS[event.type].model_validate(event.data)


# --- batches and per-event results ----------------------------------------------------------------


class EventBatch(BaseModel):
    """Up to 500 events, sent together. Each event is checked on its own: a bad one is rejected with
    a reason and never holds back the others."""

    # Documented as the list of IncomingEvent it must be; validated as plain objects, each on its own.
    events: Annotated[
        list[dict[str, Any]],
        _DocumentedAs(Annotated[list[IncomingEvent], Field(min_length=1, max_length=MAX_BATCH_SIZE)]),
    ] = Field(
        min_length=1,
        max_length=MAX_BATCH_SIZE,
        description="The events, oldest first. Between 1 and 500.",
    )


class EventStatus(StrEnum):
    """What Revisit did with one event of a batch.

    `accepted`: stored, and processed shortly. `duplicate`: an event with this id was received
    before, so nothing new was stored. `rejected`: not valid; the result's `reason` says why. Fix
    the event and send it again.
    """

    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"


class EventResult(BaseModel):
    """The outcome for one event of a batch."""

    id: str | None = Field(
        description="The event's id as sent, or null when the event had no usable id.",
        examples=["order-1042-created"],
    )
    status: EventStatus = Field(description="What Revisit did with the event.")
    reason: str | None = Field(
        default=None,
        description="Why the event was rejected: the fields at fault, with what is wrong with each.",
        examples=["data.items.0.quantity: Input should be greater than or equal to 1"],
    )


class EventBatchResult(BaseModel):
    """The outcome of a batch: one result per event, in the order the events were sent, and totals."""

    results: list[EventResult] = Field(description="One result per event, in the order sent.")
    accepted: int = Field(description="How many events were stored for processing.", examples=[2])
    duplicates: int = Field(description="How many events had been received before.", examples=[0])
    rejected: int = Field(description="How many events were invalid.", examples=[1])

    @classmethod
    def from_results(cls, results: Sequence[EventResult]) -> EventBatchResult:
        """Build the batch outcome from per-event results, counting each status."""
        return cls(
            results=list(results),
            accepted=sum(result.status is EventStatus.ACCEPTED for result in results),
            duplicates=sum(result.status is EventStatus.DUPLICATE for result in results),
            rejected=sum(result.status is EventStatus.REJECTED for result in results),
        )


@dataclass(frozen=True, slots=True)
class ValidatedEvent:
    """An event that passed validation: its envelope and its parsed data."""

    event: IncomingEvent
    data: EventData

    @property
    def id(self) -> str:
        return self.event.id

    @property
    def type(self) -> EventType:
        return self.event.type


@dataclass(frozen=True, slots=True)
class EventRejection:
    """An event that failed validation. `id` is the sender's id when one could be read."""

    id: str | None
    reason: str

    def as_result(self) -> EventResult:
        """The `rejected` result to report for this event."""
        return EventResult(id=self.id, status=EventStatus.REJECTED, reason=self.reason)


def validate_event(
    raw: Mapping[str, Any], *, known_storable: bool = False
) -> ValidatedEvent | EventRejection:
    """Validate one raw event of a batch: first the envelope, then `data` against its type's model.

    Never raises for bad input. A rejection's reason lists the fields at fault by their path within
    the event, e.g. `data.items.0.quantity: Input should be greater than or equal to 1`. ``known_storable``
    says the caller knows every key and string is storable (the event was read back from the
    database, or its JSON text was checked), so that check is skipped.
    """
    if not isinstance(raw, Mapping):
        return EventRejection(id=None, reason="An event must be a JSON object.")
    # The raw event is stored as sent (unknown keys included), so every key and string in it must be
    # storable, not only the fields the models read.
    unstorable_at = None if known_storable else find_unstorable(raw)
    if unstorable_at is not None:
        path, problem = unstorable_at
        return EventRejection(id=_readable_id(raw), reason=f"{describe_path(path) or 'event'}: {problem}")
    try:
        event = IncomingEvent.model_validate(dict(raw))
    except ValidationError as exc:
        return EventRejection(id=_readable_id(raw), reason=describe_errors(exc))
    try:
        data = parse_event_data(event)
    except ValidationError as exc:
        return EventRejection(id=event.id, reason=describe_errors(exc, prefix=("data",)))
    return ValidatedEvent(event=event, data=data)


def describe_errors(exc: ValidationError, *, prefix: tuple[str, ...] = ()) -> str:
    """Summarise a validation error for people: `path.to.field: message` items joined by `; `."""
    errors = exc.errors(include_url=False, include_input=False)
    parts = []
    for error in errors[:MAX_REASON_ERRORS]:
        path = ".".join(str(part) for part in (*prefix, *error["loc"]))
        parts.append(f"{path}: {error['msg']}" if path else error["msg"])
    if len(errors) > MAX_REASON_ERRORS:
        parts.append(f"and {len(errors) - MAX_REASON_ERRORS} more")
    return "; ".join(parts)


def _readable_id(raw: Mapping[str, Any]) -> str | None:
    value = raw.get("id")
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if isinstance(value, str) and 0 < len(value.strip()) <= MAX_EVENT_ID_LENGTH and not unstorable(value):
        return value.strip()
    return None
