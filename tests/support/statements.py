"""Counting the SQL statements a piece of code sends, on the real connection."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from tortoise.backends.asyncpg.client import AsyncpgDBClient

_SENDING = ("execute_query", "execute_query_dict", "execute_insert", "execute_many", "execute_script")


@dataclass
class Statements:
    """The statements sent while counting, in order."""

    sent: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.sent)


@contextmanager
def counting_statements(monkeypatch: pytest.MonkeyPatch) -> Iterator[Statements]:
    """Record every statement the ORM or raw SQL sends through Tortoise while the block runs
    (transactions use the same client class, so their statements count too)."""
    statements = Statements()
    with monkeypatch.context() as patch:
        for name in _SENDING:
            patch.setattr(AsyncpgDBClient, name, _recording(getattr(AsyncpgDBClient, name), statements))
        yield statements


def _recording(send: Callable[..., Awaitable[Any]], statements: Statements) -> Callable[..., Awaitable[Any]]:
    async def recorded(self: AsyncpgDBClient, query: str, *args: Any, **kwargs: Any) -> Any:
        statements.sent.append(" ".join(str(query).split())[:120])
        return await send(self, query, *args, **kwargs)

    return recorded
