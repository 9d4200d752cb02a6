"""Timeline cursors: an entry's place (moment, kind, id) survives the round trip exactly, and anything
that is not a cursor the API gave out is INVALID_CURSOR on `after`, before any SQL runs. The kinds a
cursor may name are the schema's."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta, timezone

import pytest

from domain.customers.timeline import KINDS, Position
from domain.errors import DomainError
from graph.customers.timeline import TimelineKind, decode_cursor, encode_cursor


def raw(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


@pytest.mark.parametrize(
    "position",
    [
        Position(
            at=datetime(2026, 11, 12, 4, 30, 0, 123456, tzinfo=UTC), kind="event", id="9007199254740993"
        ),
        Position(
            at=datetime(2026, 11, 12, 8, 0, tzinfo=timezone(timedelta(hours=3, minutes=30))),
            kind="segment_left",
            id="42",
        ),
        Position(
            at=datetime(2026, 1, 1, tzinfo=UTC), kind="order", id="5b1f0c52-1f6e-4a51-9d0e-1c1a3a0e7f10"
        ),
    ],
)
def test_a_cursor_names_the_same_place_after_the_round_trip(position: Position) -> None:
    """Microseconds, offsets, big numeric ids and UUIDs all come back as they were."""
    # when
    decoded = decode_cursor(encode_cursor(position))
    # then
    assert decoded == position
    assert decoded.at.utcoffset() == position.at.utcoffset()


@pytest.mark.parametrize(
    "cursor",
    [
        "not a cursor",
        "%%%",
        raw("2026-11-12T04:30:00+00:00|order"),  # no id
        raw("2026-11-12T04:30:00+00:00|visit|1"),  # no such kind
        raw("2026-11-12T04:30:00|order|1"),  # no time zone
        raw("yesterday|order|1"),
        raw("2026-11-12T04:30:00+00:00|order|"),
        raw("2026-11-12T04:30:00+00:00|order|1\x00"),  # PostgreSQL text cannot hold NUL
        base64.urlsafe_b64encode(b"\xff\xfe|order|1").decode(),  # not UTF-8
    ],
)
def test_anything_else_is_an_invalid_cursor_on_after(cursor: str) -> None:
    """Garbage, a wrong shape, an unknown kind, a moment without offset, NUL or bytes that are not text."""
    # when
    with pytest.raises(DomainError) as refused:
        decode_cursor(cursor)
    # then
    assert (refused.value.code, refused.value.field) == ("INVALID_CURSOR", "after")


def test_every_kind_the_timeline_reads_is_a_timeline_kind_of_the_schema() -> None:
    """The statement's kinds and the schema's TimelineKind are the same set, so every entry maps."""
    assert {kind.value for kind in TimelineKind} == set(KINDS)
