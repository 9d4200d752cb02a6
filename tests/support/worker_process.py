"""A real Revisit worker in a subprocess (``revisit worker``, as in production), to stop, kill and
start again while a test watches PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import TracebackType

from revisit.services import ServiceUrls

STOP_SECONDS = 15.0


class WorkerProcess:
    """``revisit worker`` over the given PostgreSQL and Redis; SMS go to the console provider."""

    def __init__(self, urls: ServiceUrls, *, secret_key: str, log_dir: Path) -> None:
        self.urls, self.secret_key, self.log_dir = urls, secret_key, log_dir
        self.process: subprocess.Popen[bytes] | None = None
        self.started = 0

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> None:
        if self.running:
            raise RuntimeError("the worker is already running")
        self.started += 1
        env = {
            **os.environ,
            "REVISIT_DATABASE_URL": self.urls.database_url,
            "REVISIT_REDIS_URL": self.urls.redis_url,
            "REVISIT_SECRET_KEY": self.secret_key,
            "REVISIT_DATA_DIR": str(self.log_dir / "revisit-data"),
            "REVISIT_LOG_LEVEL": "INFO",
            "REVISIT_KAVENEGAR_API_KEY": "",
            "REVISIT_WORKER_METRICS_PORT": "0",
        }
        with (self.log_dir / f"revisit-worker-{self.started}.log").open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "revisit.cli", "worker"],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def kill(self) -> None:
        """SIGKILL: the process dies wherever it is, as in a crash or an out-of-memory kill."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=STOP_SECONDS)

    def stop(self) -> None:
        """SIGTERM (the CLI's own shutdown), SIGKILL if it lingers; safe to call twice."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=STOP_SECONDS)

    def log_tail(self, characters: int = 4000) -> str:
        return "\n".join(
            path.read_text(errors="replace")[-characters:]
            for path in sorted(self.log_dir.glob("revisit-worker-*.log"))
        )

    def __enter__(self) -> WorkerProcess:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


async def eventually(check: Callable[[], Awaitable[bool]], *, within: float = 60.0, what: str = "it") -> None:
    """Wait until ``check`` answers True (polling); fail with ``what`` if it never does in ``within`` s.
    A deadline, not a timing assertion: it only bounds how long a broken system is waited for."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if await check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{what} did not happen within {within:.0f} s")
