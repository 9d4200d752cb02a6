"""The worker's log is not flooded by the journeys' 5-second safety tick: arq's lines about that cron are
left out at INFO, while other jobs' lines and the tick's warnings stay."""

from __future__ import annotations

import io
import json
import logging

import structlog

from revisit import logs


def test_the_journeys_tick_is_quiet_at_info_and_other_jobs_are_logged() -> None:
    # given
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    logs.configure("INFO", json=True)
    stream = io.StringIO()
    root.handlers[0].setStream(stream)  # type: ignore[attr-defined]
    arq = logging.getLogger("arq.worker")
    try:
        # when
        arq.info("%6.2fs → %s()", 1.0, "cron:poll_journeys")
        arq.info("%6.2fs ← %s ● %s", 0.0, "cron:poll_journeys", 0)
        arq.info("%6.2fs → %s()", 0.5, "cron:reconcile_messages")
        arq.warning("%6.2fs ! %s failed", 0.1, "cron:poll_journeys")
    finally:
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)
        structlog.reset_defaults()
    # then
    events = [json.loads(line)["event"] for line in stream.getvalue().splitlines()]
    assert events == ["  0.50s → cron:reconcile_messages()", "  0.10s ! cron:poll_journeys failed"]
