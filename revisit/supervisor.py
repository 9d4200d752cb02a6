"""How the ``revisit`` processes run: the embedded PostgreSQL and Redis they start when no URL is set,
and the API (uvicorn) and the worker (arq) side by side in one event loop, started, watched and stopped
together. The commands themselves are in :mod:`revisit.cli`."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import shutil
import signal
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import uvicorn
from rich.console import Console

from revisit import database, demo, services
from revisit.services import ServiceUrls
from revisit.settings import Settings

console = Console()
err = Console(stderr=True)
logger = logging.getLogger("revisit.cli")

WORKER_GRACE_SECONDS = 10.0
"""How long a stopping worker lets running jobs finish before cancelling them (arq retries them)."""


# --- the embedded services ------------------------------------------------------------------------


def resolve_services(settings: Settings, *, quiet: bool = False) -> ServiceUrls:
    """The service URLs, starting embedded PostgreSQL/Redis under the data directory when unset."""
    embedded = [
        name
        for name, url in (("PostgreSQL", settings.database_url), ("Redis", settings.redis_url))
        if not url
    ]
    if not embedded or quiet:
        return services.resolve(settings)
    with console.status(f"Starting embedded {' and '.join(embedded)} in {settings.data_dir}/…"):
        return services.resolve(settings)


class EmbeddedServerInUse(RuntimeError):
    """The embedded PostgreSQL serves another live process, so its data cannot be deleted."""


def reset_embedded(settings: Settings) -> None:
    """Delete the embedded servers' data (never an external database's) and the saved demo key."""
    if settings.database_url and settings.redis_url:
        console.print("[yellow]![/] Both services are external: --reset deleted nothing.")
        return
    targets: list[Path] = []
    if settings.database_url is None:
        pgdata = settings.data_dir / "postgres"
        if _postgres_running(pgdata):
            raise EmbeddedServerInUse(
                f"The embedded PostgreSQL in {pgdata} is running; stop other revisit processes."
            )
        targets += [pgdata, demo.key_file(settings.data_dir)]
    if settings.redis_url is None:
        targets.append(settings.data_dir / "redis")
    for target in targets:
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
    console.print(f"[green]✓[/] Cleared {', '.join(str(target) for target in targets)}")


def _postgres_running(pgdata: Path) -> bool:
    """Whether the embedded server in ``pgdata`` runs for a live process; an orphaned one is stopped.

    The embedded server stops when the last process using it exits normally. A process that was
    killed leaves it running with nobody attached; that one is shut down here so it can be deleted.
    """
    postmaster = _pid_from(pgdata / "postmaster.pid")
    if postmaster is None or not _alive(postmaster):
        return False
    try:
        users = [int(pid) for pid in json.loads((pgdata / ".handle_pids.json").read_text())]
    except (OSError, ValueError, TypeError):
        users = []
    if any(_alive(pid) for pid in users if pid != os.getpid()):
        return True
    os.kill(postmaster, signal.SIGINT)  # PostgreSQL's "fast" shutdown
    for _ in range(100):
        if not _alive(postmaster):
            return False
        time.sleep(0.1)
    return True


def _pid_from(path: Path) -> int | None:
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# --- running the API and the worker ---------------------------------------------------------------


async def with_database(urls: ServiceUrls, work: Callable[[], Awaitable[Any]]) -> Any:
    """Run ``work`` with the ORM open for this task and everything it starts."""
    await database.init(urls.database_url)
    try:
        return await work()
    finally:
        await database.close()


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling: the supervisor below owns Ctrl-C for both processes."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def run_processes(
    settings: Settings,
    urls: ServiceUrls,
    *,
    api: tuple[str, int] | None = None,
    worker: bool = False,
    burst: bool = False,
    on_ready: Callable[[], None] | None = None,
) -> int:
    """Run the API and/or the worker in this event loop until Ctrl-C, SIGTERM or one of them stops.

    The ORM must already be open in the calling task (so every task started here shares it). Returns
    the exit code: 0 after a requested stop, 1 if a part failed.
    """
    from revisit.app import create_app
    from revisit.worker import build_worker

    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    server: _Server | None = None
    arq_worker: Any = None
    tasks: dict[asyncio.Task[Any], str] = {}

    def request_stop() -> None:
        if stop.is_set():  # a second Ctrl-C: stop without waiting for connections or jobs
            if server is not None:
                server.force_exit = True
            if arq_worker is not None and arq_worker.main_task is not None:
                arq_worker.handle_sig(signal.SIGINT)
        stop.set()

    if worker:
        try:
            arq_worker = build_worker(settings, urls, burst=burst, manage_database=False)
        except RuntimeError as exc:  # e.g. Kavenegar chosen without an API key
            err.print(f"[red]✗[/] The worker cannot start: {exc}")
            return 1

    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, request_stop)
    try:
        if api is not None:
            config = uvicorn.Config(
                create_app(settings, urls, manage_database=False),
                host=api[0],
                port=api[1],
                log_config=None,  # our logging (revisit.logs) already handles uvicorn's loggers
                access_log=False,  # the RequestContext middleware writes the access log
                lifespan="on",
            )
            server = _Server(config)
            tasks[asyncio.create_task(_serve(server), name="api")] = "API"
        if arq_worker is not None:
            tasks[asyncio.create_task(_work(arq_worker), name="worker")] = "worker"

        watcher = asyncio.create_task(stop.wait())
        announcer = asyncio.create_task(_announce_when_ready(server, on_ready)) if on_ready else None
        done, _ = await asyncio.wait({*tasks, watcher}, return_when=asyncio.FIRST_COMPLETED)

        failed = False
        for task in done:
            if task is watcher:
                continue
            error = task.exception()
            if isinstance(error, _CouldNotStart):
                failed = True
                err.print(f"[red]✗[/] The {tasks[task]} {error}: is the port taken? Try --port.")
            elif error is not None:
                failed = True
                err.print(f"[red]✗[/] The {tasks[task]} stopped: {error}")
                logger.error("%s stopped", tasks[task], exc_info=error)
            elif not (worker and burst):
                failed = True
                err.print(f"[red]✗[/] The {tasks[task]} stopped unexpectedly.")

        if announcer is not None:
            announcer.cancel()
        watcher.cancel()
        if server is not None:
            server.should_exit = True
        if arq_worker is not None:
            await _stop_worker(arq_worker, stop_now=lambda: server is not None and server.force_exit)
        results = await asyncio.gather(*tasks, return_exceptions=True)
        failed = failed or any(isinstance(result, BaseException) for result in results)
        return 1 if failed else 0
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)


class _CouldNotStart(RuntimeError):
    pass


async def _serve(server: _Server) -> None:
    try:
        await server.serve()
    except SystemExit as exc:  # uvicorn exits when it cannot bind or start the app; it logged why
        raise _CouldNotStart(f"could not start on {server.config.host}:{server.config.port}") from exc
    if not server.started:
        raise _CouldNotStart(f"could not start on {server.config.host}:{server.config.port}")


async def _work(arq_worker: Any) -> None:
    # Stopping the worker cancels arq's own tasks, which surfaces here as CancelledError; only a
    # cancellation of this task itself is passed on.
    try:
        await arq_worker.async_run()
    except asyncio.CancelledError:
        if _cancelling():
            raise
    finally:
        try:
            await arq_worker.close()
        except asyncio.CancelledError:
            if _cancelling():
                raise


def _cancelling() -> bool:
    current = asyncio.current_task()
    return current is not None and current.cancelling() > 0


async def _stop_worker(arq_worker: Any, *, stop_now: Callable[[], bool]) -> None:
    """Stop taking jobs, give running ones a moment to finish, then cancel the rest."""
    arq_worker.allow_pick_jobs = False
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(WORKER_GRACE_SECONDS):
            while not stop_now() and _busy(arq_worker):  # noqa: ASYNC110 - arq offers no event to await
                await asyncio.sleep(0.1)
    if arq_worker.main_task is not None and not arq_worker.main_task.done():
        arq_worker.handle_sig(signal.SIGTERM)


def _busy(arq_worker: Any) -> bool:
    return any(not task.done() for task in arq_worker.tasks.values())


async def _announce_when_ready(server: _Server | None, on_ready: Callable[[], None]) -> None:
    while server is not None and not server.started:  # noqa: ASYNC110 - uvicorn exposes a flag only
        await asyncio.sleep(0.05)
    on_ready()
