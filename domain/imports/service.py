"""Importing a store's customers or orders from a CSV file, as the store events the API receives.

All or nothing: every row is checked first (by the API's own event validation, plus the store's rules:
its currency, phone numbers it can read), and if any row is rejected nothing is stored and every problem
is reported with its line and column. Otherwise all the file's events are stored in one transaction,
with source ``import`` and ids made of the file's digest and the line, so importing the same file again
stores nothing new: its events are reported as duplicates. Stored events are processed like any others;
the caller wakes the worker when some were accepted.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Final
from uuid import UUID
from zoneinfo import ZoneInfo

from tortoise.transactions import in_transaction

from domain.events.schema import MAX_BATCH_SIZE
from domain.events.service import store_events
from domain.imports import customers, orders
from domain.imports.table import Progress, RejectedRow, read_table
from domain.tenancy.models import Tenant
from domain.tenancy.service import get_tenant

SOURCE_IMPORT: Final = "import"
"""The source of imported events (the API's are ``api``)."""

MAX_REPORTED_PROBLEMS: Final = 1_000
"""A report lists at most this many problems; ``rejected_rows`` still counts every rejected line."""


class ImportKind(StrEnum):
    """What a file holds: one customer per row, or one order line per row."""

    CUSTOMERS = "customers"
    ORDERS = "orders"


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What became of an imported file. ``stored`` is false when any row was rejected."""

    kind: ImportKind
    rows: int
    """Rows read (lines after the header, blank lines not counted)."""
    events: int
    """Events the rows make: one per customer, one per order."""
    accepted: int
    duplicates: int
    rejected_rows: int
    problems: tuple[RejectedRow, ...]
    """The first :data:`MAX_REPORTED_PROBLEMS` problems, in line order."""

    @property
    def stored(self) -> bool:
        return self.rejected_rows == 0


async def import_file(
    *,
    tenant_id: UUID,
    kind: ImportKind,
    content: bytes,
    now: datetime,
    progress: Progress | None = None,
) -> ImportReport:
    """Check every row of ``content`` and store the file's events, all of them or none.

    ``now`` is when customers' events occurred (a customers file has no time of its own). Raises
    ``NotFound`` for an unknown store and ``DomainError`` ``FILE_TOO_LARGE`` / ``TOO_MANY_ROWS`` past the
    limits of :mod:`domain.imports.table`. Opens its own transaction (a savepoint inside the caller's):
    that nothing is half-imported is this service's own promise.
    """
    tenant = await get_tenant(tenant_id=tenant_id)
    # Reading and checking 200,000 rows takes seconds of CPU: off the event loop.
    rows, events, problems = await asyncio.to_thread(_prepare, tenant, kind, content, now, progress)
    rejected = sorted(set(problems), key=lambda problem: (problem.line, problem.field or ""))
    if rejected:
        return ImportReport(
            kind,
            rows,
            len(events),
            0,
            0,
            len({p.line for p in rejected}),
            tuple(rejected[:MAX_REPORTED_PROBLEMS]),
        )
    accepted = duplicates = 0
    async with in_transaction():
        for start in range(0, len(events), MAX_BATCH_SIZE):
            result = await store_events(
                tenant_id=tenant.id, source=SOURCE_IMPORT, raw_events=events[start : start + MAX_BATCH_SIZE]
            )
            if result.rejected:  # checked above with the same validation: a bug, and nothing is kept
                raise RuntimeError(f"store_events rejected a checked imported event: {result.results}")
            accepted += result.accepted
            duplicates += result.duplicates
    return ImportReport(kind, rows, len(events), accepted, duplicates, 0, ())


def _prepare(
    tenant: Tenant, kind: ImportKind, content: bytes, now: datetime, progress: Progress | None
) -> tuple[int, Sequence[dict[str, Any]], list[RejectedRow]]:
    module = customers if kind is ImportKind.CUSTOMERS else orders
    table = read_table(content, columns=module.COLUMNS, progress=progress)
    if table.problems and not table.rows:
        return table.read, [], table.problems
    digest = hashlib.sha256(content).hexdigest()[:32]
    timezone = ZoneInfo(tenant.timezone)
    if kind is ImportKind.CUSTOMERS:
        events, problems = customers.customer_events(
            table, file_digest=digest, now=now, country=tenant.country, timezone=timezone
        )
    else:
        events, problems = orders.order_events(
            table, file_digest=digest, currency=tenant.currency, country=tenant.country, timezone=timezone
        )
    return table.read, events, [*table.problems, *problems]
