"""From stored events to domain rows: customers, orders, refunds, payments, then domain events.

A store's pending events are processed in batches, set-based: one transaction per batch, under a
per-store advisory lock, with the rows the batch needs loaded in one statement per table, the events
applied in memory in their order, and the result written back with one statement per table (see
:mod:`domain.customers.batch` and :mod:`domain.commerce.batch`). The cost per event does not grow
with the store's size.

Every guarantee of processing one event at a time holds:

- a bad event fails alone, with its error kept for a replay: rule violations are decided per event
  in memory, and an unexpected failure of a batch's statements splits the batch in halves (each its
  own savepoint) until the event that causes it fails alone as ``INTERNAL``;
- an event older than what an order already reflects changes nothing (stale);
- nothing is applied twice: events are taken under the lock and marked in the same transaction;
- stores send history out of order: an event about an order not received yet *waits* for it (status
  ``waiting``, ``waiting_for = 'order:<id>'``) and is applied right after the order arrives, in the
  same batch or a later one; one still waiting after ``MAX_WAIT`` fails visibly and can be replayed;
- credit is captured, returned and cashback reversed by :mod:`domain.incentives`, called here after
  the domain-event handlers (which lock an order's automation runs before its credit is touched).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Final
from uuid import UUID

from tortoise import Tortoise
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from domain.automation import engine
from domain.coupons import redemption as coupon_redemption
from domain.events.batch import WAITS_SUFFIX, Batch, Handler, ProcessReport, Stored, mark
from domain.incentives import refunds as credit_refunds
from domain.tenancy.models import Tenant

__all__ = ["BATCH", "HANDLERS", "MAX_WAIT", "ProcessReport", "drain", "expire_waiting", "process_pending"]

HANDLERS: Final[tuple[Handler, ...]] = (engine.handle, credit_refunds.handle, coupon_redemption.handle)
"""The domain-event handlers every caller processes with (the worker, the demo, the benchmark)."""

BATCH: Final = 500
"""Events taken per transaction."""

MAX_WAIT = timedelta(days=7)
"""How long an event may wait for the order it refers to before it fails (``ORDER_UNKNOWN``)."""

logger = logging.getLogger(__name__)


async def drain(
    *,
    tenant_id: UUID,
    on_batch: Callable[[ProcessReport], Awaitable[None]] | None = None,
    limit: int = BATCH,
) -> ProcessReport:
    """Process the store's pending events batch after batch until none is left; ``on_batch`` sees each
    committed batch's report (to wake the runs it enrolled). Returns the totals; ``busy`` when another
    worker was processing the store, which then drains what is left itself."""
    totals = ProcessReport()
    while True:
        report = await process_pending(tenant_id=tenant_id, now=datetime.now(UTC), limit=limit)
        if on_batch is not None and (report.handled or report.created):
            await on_batch(report)
        totals.add(report)
        if report.busy or report.handled == 0:
            return totals


_TRY_LOCK = "SELECT pg_try_advisory_xact_lock(hashtext($1)) AS locked"
_TAKE = """
SELECT id, occurred_at, payload::text AS payload FROM ingested_events
WHERE tenant_id = $1 AND status = 'pending'
ORDER BY occurred_at, id
LIMIT $2
FOR UPDATE SKIP LOCKED
"""


async def process_pending(
    *, tenant_id: UUID, now: datetime, limit: int = BATCH, handlers: Sequence[Handler] = HANDLERS
) -> ProcessReport:
    """Process up to ``limit`` of the store's pending events, oldest first, in one transaction, with
    the waiting events that those bring to life (a refund whose order has just arrived) right after
    their cause. One store's events are processed by one worker at a time: while another holds them,
    this returns at once with ``busy`` set."""
    tenant = await Tenant.get(id=tenant_id)
    report = ProcessReport()
    async with in_transaction() as connection:
        # Two batches of one store must not both create the same new customer. Released at commit.
        [lock] = await connection.execute_query_dict(_TRY_LOCK, [str(tenant_id)])
        if not lock["locked"]:
            report.busy = True
            return report
        rows = await connection.execute_query_dict(_TAKE, [tenant_id, limit])
        await _process(connection, tenant, [Stored.of(row) for row in rows], now, handlers, report)
    return report


async def _process(
    connection: BaseDBAsyncClient,
    tenant: Tenant,
    events: list[Stored],
    now: datetime,
    handlers: Sequence[Handler],
    report: ProcessReport,
) -> None:
    """Apply ``events`` in a savepoint; if a statement fails, apply each half on its own."""
    if not events:
        return
    try:
        async with in_transaction() as savepoint:
            outcome = await Batch(savepoint, tenant, now).run(events, handlers)
    except Exception as exc:
        if len(events) > 1:
            middle = len(events) // 2
            await _process(connection, tenant, events[:middle], now, handlers, report)
            await _process(connection, tenant, events[middle:], now, handlers, report)
            return
        # Keep one broken event from holding back the rest; it stays visible and replayable.
        logger.exception("event %s could not be processed", events[0].id)
        await mark(
            connection,
            tenant.id,
            now,
            [(events[0].id, "failed", f"INTERNAL: {type(exc).__name__}", None, None, None)],
        )
        report.failed += 1
        return
    report.add(outcome)


_EXPIRE_WAITING = """
UPDATE ingested_events
SET status = 'failed', error = replace(error, $2, '') || $3
WHERE status = 'waiting' AND waiting_since < $1
"""


async def expire_waiting(*, now: datetime, max_wait: timedelta = MAX_WAIT) -> int:
    """Fail the events that have waited longer than ``max_wait`` for what they refer to; they stay
    visible with the reason and can be replayed. Returns how many."""
    count, _ = await Tortoise.get_connection("default").execute_query(
        _EXPIRE_WAITING,
        [now - max_wait, WAITS_SUFFIX, f" It did not arrive within {max_wait.days} days."],
    )
    return int(count)
