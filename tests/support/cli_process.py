"""A ``revisit <command>`` subprocess (the project's CLI, as in production) over the given PostgreSQL and
Redis: started, stopped politely or killed, its log kept per start under ``log_dir``."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from types import TracebackType
from typing import Self

from revisit.services import ServiceUrls

STOP_SECONDS = 15.0


class CliProcess:
    """One ``revisit <command>`` at a time; ``pids`` are every process it started, in order."""

    command: str

    def __init__(self, urls: ServiceUrls, *, secret_key: str, log_dir: Path) -> None:
        self.urls, self.secret_key, self.log_dir = urls, secret_key, log_dir
        self.process: subprocess.Popen[bytes] | None = None
        self.pids: list[int] = []

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def spawn(self, arguments: list[str], environment: dict[str, str]) -> None:
        """Start ``revisit <command> <arguments>`` with the services, the secret and ``environment``."""
        if self.running:
            raise RuntimeError(f"revisit {self.command} is already running")
        env = {
            **os.environ,
            "REVISIT_DATABASE_URL": self.urls.database_url,
            "REVISIT_REDIS_URL": self.urls.redis_url,
            "REVISIT_SECRET_KEY": self.secret_key,
            "REVISIT_DATA_DIR": str(self.log_dir / "revisit-data"),
            **environment,
        }
        with (self.log_dir / f"revisit-{self.command}-{len(self.pids) + 1}.log").open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "revisit.cli", self.command, *arguments],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.pids.append(self.process.pid)

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
        """The end of each start's log, oldest first."""
        return "\n".join(
            path.read_text(errors="replace")[-characters:]
            for path in sorted(self.log_dir.glob(f"revisit-{self.command}-*.log"))
        )

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
