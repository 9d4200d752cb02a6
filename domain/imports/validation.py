"""Checking an event built from imported rows, and saying which line and column each problem is on.

The verdict is :func:`domain.events.schema.validate_event`'s, the API's own: an imported event is stored
only if the API would store it. When it refuses one, the same models are asked again for each problem's
place in the event, which the caller's ``place`` maps to the line and column of the file it came from.
Imported events are built by this package, so ``type`` is always a known one and ``data`` an object.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from domain.customers.phones import normalise_digits
from domain.customers.service import safe_phone
from domain.events.schema import DATA_MODELS, EventType, IncomingEvent, ValidatedEvent, validate_event
from domain.imports.table import RejectedRow
from domain.text import Path, find_unstorable

Place = Callable[[Path], tuple[int, str | None]]
"""Where a path within an event (``("data", "items", 2, "quantity")``) came from: line and column."""


def check_event(raw: Mapping[str, Any], *, place: Place) -> list[RejectedRow]:
    """No problems when the API would accept ``raw``; else each problem at its line and column."""
    verdict = validate_event(raw)
    if isinstance(verdict, ValidatedEvent):
        return []
    problems = [_at(place, path, message) for path, message in _problems(raw)]
    return problems or [_at(place, (), verdict.reason)]


def _problems(raw: Mapping[str, Any]) -> list[tuple[Path, str]]:
    """Every problem of the envelope and of ``data`` (the API stops at the envelope's, an import reports
    all of a row's at once)."""
    unstorable = find_unstorable(raw)
    if unstorable is not None:
        return [unstorable]
    found: list[tuple[Path, str]] = []
    try:
        IncomingEvent.model_validate(dict(raw))
    except ValidationError as exc:
        found.extend((tuple(error["loc"]), error["msg"]) for error in exc.errors(include_url=False))
    try:
        DATA_MODELS[EventType(raw["type"])].model_validate(raw["data"])
    except ValidationError as exc:
        found.extend((("data", *error["loc"]), error["msg"]) for error in exc.errors(include_url=False))
    return found


def _at(place: Place, path: Path, message: str) -> RejectedRow:
    line, column = place(path)
    return RejectedRow(line, column, message)


def store_time(text: str, *, timezone: ZoneInfo) -> str:
    """A date and time as ISO 8601 with an offset: one written without an offset is the store's local
    time (``2024-12-20 18:45`` in Tehran is ``2024-12-20T18:45:00+03:30``). Text that is not a date
    and time is returned as it is, for the event's validation to name."""
    try:
        moment = datetime.fromisoformat(normalise_digits(text))
    except ValueError:
        return text
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone)
    return moment.isoformat()


def split_codes(text: str) -> list[str]:
    """``"12|31"`` or ``"12, 31"`` → ``["12", "31"]``: several codes in one cell."""
    return [code.strip() for code in text.replace("|", ",").split(",") if code.strip()]


def event_id(kind: str, file_digest: str, line: int) -> str:
    """The id an imported event is stored under: the same file imported again gives the same ids."""
    return f"import:{kind}:{file_digest}:{line}"


def phone_problem(line: int, column: str, text: str, *, country: str) -> RejectedRow | None:
    """A rejection when ``text`` is not a phone number (of ``country`` when it has no country code).

    Processing would drop such a number quietly; an import says so instead.
    """
    if safe_phone(text, country=country) is None:  # the check processing makes, and its cache
        return RejectedRow(line, column, f"“{text}” is not a phone number.")
    return None
