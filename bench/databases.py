"""Where a benchmark keeps its data: a database of its own, emptied for each run."""

from __future__ import annotations

import os
from pathlib import Path

BENCH_DIR = Path(".revisit/bench")


def fresh_database_url(name: str) -> str:
    """``REVISIT_BENCH_DATABASE_URL`` when it is set (the caller's own database), else the embedded
    PostgreSQL's database ``name``, dropped first so the run starts from nothing."""
    from revisit import embedded

    url = os.environ.get("REVISIT_BENCH_DATABASE_URL")
    if url is not None:
        return url
    embedded.postgres_url(BENCH_DIR, database="postgres")
    embedded.postgres_server(BENCH_DIR).psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE);')
    return embedded.postgres_url(BENCH_DIR, database=name)
