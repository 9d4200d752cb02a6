"""A customers file: one customer per row, each becoming one ``customer.updated`` event.

Columns (any order, any letter case; only ``external_id``, ``phone`` or ``email`` — at least one — is
needed, and each row must fill in one of them): ``external_id`` (the store's customer id), ``phone``,
``email``, ``first_name``, ``last_name``, ``city``, ``birthday`` (Gregorian, ``YYYY-MM-DD``),
``marketing_consent`` (yes/no, true/false, 1/0, بله/خیر) and ``created_at`` (when the account was made; a
time without an offset is the store's local time). A blank cell says nothing: what Revisit knows is kept.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Final
from zoneinfo import ZoneInfo

from domain.customers.phones import normalise_digits
from domain.events.schema import EventType
from domain.imports.table import Columns, RejectedRow, Row, Table
from domain.imports.validation import check_event, event_id, phone_problem, store_time
from domain.text import Path

KIND: Final = "customers"
IDENTITY: Final = frozenset({"external_id", "phone", "email"})
COLUMNS: Final = Columns(
    allowed=(
        "external_id",
        "phone",
        "email",
        "first_name",
        "last_name",
        "city",
        "birthday",
        "marketing_consent",
        "created_at",
    ),
    one_of=IDENTITY,
)

_CONSENT: Final = {"بله": "true", "آری": "true", "خیر": "false", "نه": "false"}
_YEAR: Final = re.compile(r"^\s*(\d{4})\D")


def customer_events(
    table: Table, *, file_digest: str, now: datetime, country: str, timezone: ZoneInfo
) -> tuple[list[dict[str, Any]], list[RejectedRow]]:
    """The events of the table's rows and the problems of the rows that cannot be imported."""
    events: list[dict[str, Any]] = []
    problems: list[RejectedRow] = []
    for row in table.rows:
        event = _event(row, file_digest=file_digest, now=now, timezone=timezone)
        found = _row_problems(row, event, country=country)
        if found:
            problems.extend(found)
        else:
            events.append(event)
    return events, problems


def _event(row: Row, *, file_digest: str, now: datetime, timezone: ZoneInfo) -> dict[str, Any]:
    data: dict[str, Any] = dict(row.cells)
    if "marketing_consent" in data:
        data["marketing_consent"] = _CONSENT.get(data["marketing_consent"], data["marketing_consent"])
    if "birthday" in data:
        data["birthday"] = normalise_digits(data["birthday"])
    if "created_at" in data:
        data["created_at"] = store_time(data["created_at"], timezone=timezone)
    return {
        "id": event_id(KIND, file_digest, row.line),
        "type": EventType.CUSTOMER_UPDATED.value,
        "occurred_at": now.isoformat(),
        "data": data,
    }


def _row_problems(row: Row, event: dict[str, Any], *, country: str) -> list[RejectedRow]:
    if not IDENTITY & row.cells.keys():
        return [RejectedRow(row.line, None, "Fill in the customer's external_id, phone or email.")]
    problems = check_event(event, place=lambda path: (row.line, _column(path)))
    faulty = {problem.field for problem in problems}
    birthday = _YEAR.match(row.get("birthday"))
    if birthday and int(birthday.group(1)) < 1900 and "birthday" not in faulty:
        problems.append(
            RejectedRow(
                row.line,
                "birthday",
                "Write the birthday in the Gregorian calendar, YYYY-MM-DD (e.g. 1992-08-14); "
                f"{row.get('birthday')} looks like a Solar Hijri date.",
            )
        )
    phone = row.get("phone")
    if phone and "phone" not in faulty:
        problems.extend(filter(None, [phone_problem(row.line, "phone", phone, country=country)]))
    return problems


def _column(path: Path) -> str | None:
    return str(path[1]) if len(path) > 1 and path[0] == "data" else None
