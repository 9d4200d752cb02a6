"""A real Revisit worker in a subprocess (``revisit worker``, as in production), to stop, kill and
start again while a test watches PostgreSQL."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Awaitable, Callable

from tests.support.cli_process import STOP_SECONDS, CliProcess


class WorkerProcess(CliProcess):
    """``revisit worker`` over the given PostgreSQL and Redis; SMS go to the console provider."""

    command = "worker"

    def start(self) -> None:
        self.spawn(
            [],
            {
                "REVISIT_LOG_LEVEL": "INFO",
                "REVISIT_KAVENEGAR_API_KEY": "",
                "REVISIT_WORKER_METRICS_PORT": "0",
            },
        )

    def kill(self) -> None:
        """SIGKILL: the process dies wherever it is, as in a crash or an out-of-memory kill."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=STOP_SECONDS)


async def eventually(check: Callable[[], Awaitable[bool]], *, within: float = 60.0, what: str = "it") -> None:
    """Wait until ``check`` answers True (polling); fail with ``what`` if it never does in ``within`` s.
    A deadline, not a timing assertion: it only bounds how long a broken system is waited for."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if await check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{what} did not happen within {within:.0f} s")
