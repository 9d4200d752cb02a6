"""Rows as column arrays, the shape ``INSERT … SELECT … FROM unnest($2::t[], $3::t[], …)`` takes.

Bulk statements pass one array per column, so the statement's parameter count stays fixed whatever
the number of rows (PostgreSQL allows at most 32,767 parameters).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any


def columns(rows: Iterable[Sequence[Any]], width: int) -> list[list[Any]]:
    """Rows of ``width`` values as ``width`` column arrays, in order (``width`` empty lists for none)."""
    listed = list(rows)
    return [[row[index] for row in listed] for index in range(width)]
