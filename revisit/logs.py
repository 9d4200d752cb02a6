"""Structured JSON logs with the request id, tenant and principal bound per request."""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

MAX_LOGGED_LINE = 1000
"""A logged line (a message, a line of a traceback) longer than this is cut; it may hold a client's input."""
MAX_LOGGED_VALUE = 20_000
"""A logged value as a whole is cut past this many characters."""


def _cut(text: str) -> str:
    lines = [
        f"{line[:MAX_LOGGED_LINE]}… ({len(line)} characters)" if len(line) > MAX_LOGGED_LINE else line
        for line in text.split("\n")
    ]
    cut = "\n".join(lines)
    return cut if len(cut) <= MAX_LOGGED_VALUE else f"{cut[:MAX_LOGGED_VALUE]}… ({len(cut)} characters)"


def truncate_long_values(
    logger: Any, method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """Cut long strings (messages, tracebacks, bound values) so no huge input is ever written to the log."""
    for key, value in event_dict.items():
        if isinstance(value, str) and len(value) > MAX_LOGGED_LINE:
            event_dict[key] = _cut(value)
    return event_dict


QUIET_CRONS = ("cron:poll_journeys", "cron:dispatch_sending_stores", "cron:launch_due_campaigns")
"""Crons that tick every few seconds as a safety net for lost wake-ups: the jobs they start are logged,
their own start and finish lines (arq's, at INFO) are not."""


class QuietCrons(logging.Filter):
    """Drops arq's INFO lines about the :data:`QUIET_CRONS`; their warnings and errors still show."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name != "arq.worker" or record.levelno > logging.INFO:
            return True
        message = record.getMessage()
        return not any(cron in message for cron in QUIET_CRONS)


def configure(level: str = "INFO", *, json: bool = True) -> None:
    """Route stdlib and structlog records through one renderer (JSON lines, or readable in a terminal)."""
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer(ensure_ascii=False) if json else structlog.dev.ConsoleRenderer()
    )
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                truncate_long_values,
                renderer,
            ],
        )
    )
    handler.addFilter(QuietCrons())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("tortoise", "asyncio", "httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
