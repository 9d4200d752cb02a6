"""Where a benchmark keeps its data: a database of its own, emptied for each run."""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

BENCH_DIR = Path(".revisit/bench")


def fresh_database_url(name: str) -> str:
    """``REVISIT_BENCH_DATABASE_URL`` when it is set (the caller's own database), else the embedded
    PostgreSQL's database ``name``, dropped first so the run starts from nothing."""
    url = os.environ.get("REVISIT_BENCH_DATABASE_URL")
    if url is not None:
        return url
    return _embedded_fresh(name)


async def recreated_urls(name: str) -> tuple[str, str]:
    """The database and Redis of a benchmark that runs Revisit's own processes: ``REVISIT_BENCH_DATABASE_URL``
    dropped and created again (else the embedded database ``name``, dropped first), and
    ``REVISIT_BENCH_REDIS_URL`` (else the embedded Redis)."""
    url = os.environ.get("REVISIT_BENCH_DATABASE_URL")
    if url:
        await _recreate(url)
    else:
        url = _embedded_fresh(name)
    from revisit import embedded

    return url, os.environ.get("REVISIT_BENCH_REDIS_URL") or embedded.redis_url(BENCH_DIR)


def _embedded_fresh(name: str) -> str:
    from revisit import embedded

    embedded.postgres_url(BENCH_DIR, database="postgres")
    embedded.postgres_server(BENCH_DIR).psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE);')
    return embedded.postgres_url(BENCH_DIR, database=name)


async def _recreate(database_url: str) -> None:
    """Drop and create the benchmark's database (named by the URL) through the server's postgres db."""
    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    if not re.fullmatch(r"[A-Za-z0-9_]+", name):
        raise SystemExit(f"refusing to recreate a database named {name!r}")
    connection = await asyncpg.connect(urlunsplit(parts._replace(path="/postgres")))
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
