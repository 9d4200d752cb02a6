"""The SQL statements code sends, as the real database connection sees them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tortoise.backends.asyncpg.client import AsyncpgDBClient

EXECUTE_METHODS = ("execute_query", "execute_query_dict", "execute_insert", "execute_many", "execute_script")


@contextmanager
def recorded_statements() -> Iterator[list[str]]:
    """Every statement sent through Tortoise while the block runs, in order: on the default
    connection and inside transactions alike (their clients share these methods).

    The real methods still run; each is wrapped to note its SQL first, and unwrapped after.
    """
    statements: list[str] = []
    originals = {name: getattr(AsyncpgDBClient, name) for name in EXECUTE_METHODS}

    def recording(original: Any) -> Any:
        async def execute(self: AsyncpgDBClient, query: str, *args: Any, **kwargs: Any) -> Any:
            statements.append(query)
            return await original(self, query, *args, **kwargs)

        return execute

    for name, original in originals.items():
        setattr(AsyncpgDBClient, name, recording(original))
    try:
        yield statements
    finally:
        for name, original in originals.items():
            setattr(AsyncpgDBClient, name, original)
