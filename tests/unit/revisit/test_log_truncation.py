"""Logs never carry a huge input: long lines of messages and tracebacks are cut, saying how long they were."""

from __future__ import annotations

import io
import json
import logging

import structlog

from revisit import logs


def test_a_huge_value_in_a_message_and_in_a_traceback_is_cut_to_a_line_limit() -> None:
    """A 100,000-character value logged in the message and in an exception ends up as at most
    MAX_LOGGED_LINE characters of it per line, with its length, in the real JSON log format."""
    # given
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    logs.configure("INFO", json=True)
    stream = io.StringIO()
    handler = root.handlers[0]
    handler.setStream(stream)  # type: ignore[attr-defined]
    huge = "x" * 100_000
    try:
        # when
        try:
            raise ValueError(f"Length of {huge!r} is too long")
        except ValueError:
            logging.getLogger("revisit.test").exception("refused %s", huge)
    finally:
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)
        structlog.reset_defaults()
    # then
    record = json.loads(stream.getvalue())
    assert len(record["event"]) < logs.MAX_LOGGED_LINE + 50
    assert record["event"].endswith(f"({len('refused ') + len(huge)} characters)")
    assert all(len(line) < logs.MAX_LOGGED_LINE + 50 for line in record["exception"].splitlines())
    assert "ValueError" in record["exception"]
    assert len(stream.getvalue()) < 10_000


def test_short_values_are_left_as_they_are() -> None:
    """Ordinary log lines pass through untouched."""
    # given
    event = {"event": "POST /rest/v1/events 202", "request_id": "abc", "duration_ms": 3.1}
    # when
    kept = logs.truncate_long_values(None, "info", dict(event))
    # then
    assert kept == event
