"""An orders file: one row per order line, the rows of one order sharing its ``order_id``.

Each order becomes one ``order.updated`` event, as a store sends it on every change. The order's own
columns may be filled in on its first row only, or repeated on every row; repeated, they must agree.

Order columns: ``order_id`` (required), ``number``, ``status`` (required: pending, processing, on-hold,
completed, cancelled, refunded or failed), ``currency`` (the store's currency when blank; an order in
another currency is rejected), ``total`` (required), ``subtotal``, ``discount_total``, ``shipping_total``,
``tax_total`` (amounts in major units: ``1250000`` or ``19.99``), ``placed_at`` (required) and
``completed_at`` (a time without an offset is the store's local time), ``coupon_codes`` (several separated
by ``|`` or commas) and the customer: ``customer_external_id``, ``phone``, ``email``, ``first_name``,
``last_name``, ``city`` (a guest has no ``customer_external_id``).

Line columns: ``product_id`` (a row without one has no line), ``product_name``, ``sku``, ``quantity``
(1 when blank), ``line_total`` and ``category_ids`` (separated by ``|`` or commas).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final
from zoneinfo import ZoneInfo

from domain.customers.phones import normalise_digits
from domain.events.schema import EventType
from domain.imports.table import Columns, RejectedRow, Row, Table
from domain.imports.validation import check_event, event_id, phone_problem, split_codes, store_time
from domain.text import Path

KIND: Final = "orders"
MAX_LINES_PER_ORDER: Final = 1_000

ORDER_FIELDS: Final = {
    "order_id": "external_id",
    "number": "number",
    "status": "status",
    "currency": "currency",
    "total": "total",
    "subtotal": "subtotal",
    "discount_total": "discount_total",
    "shipping_total": "shipping_total",
    "tax_total": "tax_total",
    "placed_at": "created_at",
    "completed_at": "completed_at",
    "coupon_codes": "coupon_codes",
}
"""Order columns and the fields of the event's ``data`` they fill in."""

CUSTOMER_FIELDS: Final = {
    "customer_external_id": "external_id",
    "phone": "phone",
    "email": "email",
    "first_name": "first_name",
    "last_name": "last_name",
    "city": "city",
}
"""Customer columns and the fields of ``data.customer``."""

LINE_FIELDS: Final = {
    "product_id": "product_id",
    "product_name": "name",
    "sku": "sku",
    "quantity": "quantity",
    "line_total": "total",
    "category_ids": "category_ids",
}
"""Line columns and the fields of each of ``data.items``."""

COLUMNS: Final = Columns(
    allowed=(*ORDER_FIELDS, *CUSTOMER_FIELDS, *LINE_FIELDS),
    required=frozenset({"order_id", "status", "total", "placed_at"}),
)

_NUMBERS: Final = frozenset({"total", "subtotal", "discount_total", "shipping_total", "tax_total"})
_TIMES: Final = frozenset({"placed_at", "completed_at"})
_REQUIRED_CELLS: Final = ("status", "total", "placed_at")


@dataclass
class _Order:
    """The rows of one order: its columns with the line each value was read on, and its lines."""

    rows: list[Row] = field(default_factory=list)
    values: dict[str, tuple[str, int]] = field(default_factory=dict)
    lines: list[Row] = field(default_factory=list)

    @property
    def line(self) -> int:
        return self.rows[0].line

    def value(self, column: str) -> str:
        return self.values.get(column, ("", 0))[0]


def order_events(
    table: Table, *, file_digest: str, currency: str, country: str, timezone: ZoneInfo
) -> tuple[list[dict[str, Any]], list[RejectedRow]]:
    """The events of the table's orders and the problems of the rows that cannot be imported."""
    problems: list[RejectedRow] = []
    orders: dict[str, _Order] = {}
    for row in table.rows:
        order_id = row.get("order_id")
        if not order_id:
            problems.append(RejectedRow(row.line, "order_id", "order_id is required on every row."))
            continue
        problems.extend(_gather(orders.setdefault(order_id, _Order()), row))
    rejected_lines = {problem.line for problem in problems}
    events: list[dict[str, Any]] = []
    for order in orders.values():
        if rejected_lines.intersection(row.line for row in order.rows):
            continue  # its rows disagree: the order as a whole is not known
        event = _event(order, file_digest=file_digest, currency=currency, timezone=timezone)
        found = _order_problems(order, event, currency=currency, country=country)
        if found:
            problems.extend(found)
        else:
            events.append(event)
    return events, problems


def _gather(order: _Order, row: Row) -> list[RejectedRow]:
    order.rows.append(row)
    problems = []
    for column in (*ORDER_FIELDS, *CUSTOMER_FIELDS):
        text = row.get(column)
        if not text:
            continue
        known = order.values.setdefault(column, (text, row.line))
        if known[0] != text:
            problems.append(
                RejectedRow(
                    row.line,
                    column,
                    f"“{text}” differs from “{known[0]}” on line {known[1]}; the rows of one order "
                    "must agree on it.",
                )
            )
    line_cells = [column for column in LINE_FIELDS if row.get(column)]
    if line_cells and not row.get("product_id"):
        problems.append(
            RejectedRow(row.line, "product_id", f"A row with {', '.join(line_cells)} needs a product_id.")
        )
    elif line_cells:
        order.lines.append(row)
        if len(order.lines) > MAX_LINES_PER_ORDER:
            problems.append(
                RejectedRow(row.line, None, f"An order may have at most {MAX_LINES_PER_ORDER:,} lines.")
            )
    return problems


def _event(order: _Order, *, file_digest: str, currency: str, timezone: ZoneInfo) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for column, key in ORDER_FIELDS.items():
        text = order.value(column)
        if not text:
            continue
        if column in _NUMBERS:
            text = normalise_digits(text)
        elif column in _TIMES:
            text = store_time(text, timezone=timezone)
        data[key] = split_codes(text) if column == "coupon_codes" else text
    data.setdefault("currency", currency)
    customer = {key: order.value(column) for column, key in CUSTOMER_FIELDS.items() if order.value(column)}
    if customer:
        data["customer"] = customer
    data["items"] = [_item(row) for row in order.lines]
    return {
        "id": event_id(KIND, file_digest, order.line),
        "type": EventType.ORDER_UPDATED.value,
        "occurred_at": data.get("completed_at") or data.get("created_at") or "",
        "data": data,
    }


def _item(row: Row) -> dict[str, Any]:
    item: dict[str, Any] = {key: row.get(column) for column, key in LINE_FIELDS.items() if row.get(column)}
    for key in ("quantity", "total"):
        if key in item:
            item[key] = normalise_digits(item[key])
    if "category_ids" in item:
        item["category_ids"] = split_codes(item["category_ids"])
    return item


def _order_problems(
    order: _Order, event: dict[str, Any], *, currency: str, country: str
) -> list[RejectedRow]:
    missing = [column for column in _REQUIRED_CELLS if not order.value(column)]
    if missing:
        return [RejectedRow(order.line, column, f"{column} is required.") for column in missing]
    problems = check_event(event, place=lambda path: _place(order, path))
    faulty = {problem.field for problem in problems}
    sent = order.value("currency").upper()
    if sent and sent != currency and "currency" not in faulty:
        problems.append(
            RejectedRow(
                order.values["currency"][1],
                "currency",
                f"The store's currency is {currency}; this order is in {sent}.",
            )
        )
    phone = order.value("phone")
    if phone and "phone" not in faulty:
        problems.extend(
            filter(None, [phone_problem(order.values["phone"][1], "phone", phone, country=country)])
        )
    return problems


_DATA_COLUMNS: Final = {key: column for column, key in ORDER_FIELDS.items()}
_CUSTOMER_COLUMNS: Final = {key: column for column, key in CUSTOMER_FIELDS.items()}
_LINE_COLUMNS: Final = {key: column for column, key in LINE_FIELDS.items()}


def _place(order: _Order, path: Path) -> tuple[int, str | None]:
    """The line and column a path within the order's event came from."""
    if path[:1] == ("occurred_at",):
        column = "completed_at" if order.value("completed_at") else "placed_at"
        return order.values.get(column, ("", order.line))[1], column
    if len(path) < 2 or path[0] != "data":
        return order.line, None
    key = str(path[1])
    if key == "items" and len(path) > 2 and isinstance(path[2], int) and path[2] < len(order.lines):
        row = order.lines[path[2]]
        return row.line, _LINE_COLUMNS.get(str(path[3])) if len(path) > 3 else None
    named = (
        _CUSTOMER_COLUMNS.get(str(path[2])) if key == "customer" and len(path) > 2 else _DATA_COLUMNS.get(key)
    )
    return (order.values[named][1], named) if named in order.values else (order.line, named)
