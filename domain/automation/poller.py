"""Durable time: PostgreSQL says which runs are due; a poller takes them and carries them on.

Every open run is a row with ``due_at`` (a new run is due at once, a waiting one when its wait ends).
:func:`poll` takes a store's due runs in batches, ``FOR UPDATE SKIP LOCKED``, under the store's
advisory lock (``pg_try_advisory_xact_lock``), so one poller at a time works on a store and a second
returns at once (``busy``). Each run is advanced in its own savepoint; the batch commits as one
transaction. So a step is done exactly once however the work is woken:

- Redis only wakes workers (a wake-up at each due time, and a cron every few seconds that asks
  PostgreSQL which stores have due runs); a flushed Redis loses wake-ups, never work;
- a worker killed mid-batch leaves no trace: its transaction rolls back, its locks go, and the next
  poll carries out the same steps once;
- messages are delivered only after the batch commits (the caller enqueues the ids returned).

An unexpected error in one run does not stop the batch: the run is tried again later, up to
:data:`MAX_ATTEMPTS` times with growing delays (2, 4, 8, 16 minutes), then failed (``INTERNAL``). A
``DomainError`` of a step fails the run at once (:func:`domain.automation.engine.advance_locked`), as
does one of the run itself (its version is gone).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final
from uuid import UUID

from tortoise import Tortoise
from tortoise.transactions import in_transaction

from domain.automation.engine import WAITING, Definitions, advance_locked
from domain.automation.models import AutomationRun
from domain.errors import DomainError

logger = logging.getLogger(__name__)

BATCH: Final = 100
"""Runs advanced per transaction."""
DRAIN_BUDGET: Final = timedelta(minutes=2)
"""How long one wake-up keeps polling a store before leaving the rest to the next."""
MAX_ATTEMPTS: Final = 5
"""Unexpected failures of one run before it is failed (``INTERNAL``)."""

_TRY_LOCK = "SELECT pg_try_advisory_xact_lock(hashtext($1)) AS locked"
_DUE = """
SELECT id FROM automation_runs
WHERE tenant_id = $1 AND state IN ('pending', 'waiting') AND due_at <= $2
ORDER BY due_at, id
LIMIT $3
FOR UPDATE SKIP LOCKED
"""
_DUE_STORES = """
SELECT t.id FROM tenants AS t
WHERE EXISTS (SELECT 1 FROM automation_runs AS r
    WHERE r.tenant_id = t.id AND r.state IN ('pending', 'waiting') AND r.due_at <= $1)
ORDER BY t.id
LIMIT $2
"""
_RETRY = """
UPDATE automation_runs
SET due_at = $3, updated_at = $4, last_error = $5,
    context = jsonb_set(context, '{attempts}', to_jsonb($6::int)),
    state = CASE WHEN $6::int >= $7::int THEN 'failed' ELSE state END,
    finished_at = CASE WHEN $6::int >= $7::int THEN $4 ELSE finished_at END
WHERE tenant_id = $1 AND id = $2
"""


def lock_key(tenant_id: UUID) -> str:
    """The advisory lock one store's poller holds."""
    return f"journeys:{tenant_id}"


@dataclass
class PollResult:
    """What one :func:`poll` did: runs taken, messages to deliver, and wake-ups to set for the runs
    that went to sleep (their new ``due_at``)."""

    taken: int = 0
    messages: list[UUID] = field(default_factory=list)
    wake_at: set[datetime] = field(default_factory=set)
    busy: bool = False
    """Another poller holds the store; nothing was taken."""

    def add(self, other: PollResult) -> None:
        self.taken += other.taken
        self.messages += other.messages
        self.wake_at |= other.wake_at
        self.busy = self.busy or other.busy


async def poll(*, tenant_id: UUID, now: datetime, limit: int = BATCH) -> PollResult:
    """Advance up to ``limit`` of the store's runs due at ``now``, oldest due first, in one transaction."""
    result = PollResult()
    async with in_transaction() as connection:
        [lock] = await connection.execute_query_dict(_TRY_LOCK, [lock_key(tenant_id)])
        if not lock["locked"]:
            result.busy = True
            return result
        ids = [row["id"] for row in await connection.execute_query_dict(_DUE, [tenant_id, now, limit])]
        if not ids:
            return result
        runs = {run.id: run for run in await AutomationRun.filter(tenant_id=tenant_id, id__in=ids)}
        definitions = Definitions()
        await definitions.prefetch(tenant_id, list(runs.values()))
        for run_id in ids:
            run = runs[run_id]
            result.taken += 1
            try:
                async with in_transaction():
                    result.messages += await advance_locked(run, now=now, definitions=definitions)
            except DomainError as exc:  # the run itself cannot go on (its version is gone)
                await _fail(tenant_id, run, now, f"{exc.message} ({exc.code})")
                continue
            except Exception as exc:  # one run's bug or outage must not hold up the store's others
                logger.exception("journey run %s could not be advanced", run_id)
                await _retry_later(tenant_id, run, now, exc)
                continue
            if run.state == WAITING:
                result.wake_at.add(run.due_at)
    return result


async def drain(
    *, tenant_id: UUID, now: datetime, limit: int = BATCH, budget: timedelta = DRAIN_BUDGET
) -> PollResult:
    """Poll the store batch after batch until nothing due at ``now`` is left, or for ``budget`` of
    wall time (the next wake-up does the rest, well within a job's timeout)."""
    totals = PollResult()
    deadline = time.monotonic() + budget.total_seconds()
    while True:
        result = await poll(tenant_id=tenant_id, now=now, limit=limit)
        totals.add(result)
        if result.busy or result.taken < limit or time.monotonic() > deadline:
            return totals


async def due_stores(*, now: datetime, limit: int = 10_000) -> list[UUID]:
    """The stores that have runs due at ``now`` (one index probe per store)."""
    rows = await Tortoise.get_connection("default").execute_query_dict(_DUE_STORES, [now, limit])
    return [row["id"] for row in rows]


_FAIL = """
UPDATE automation_runs SET state = 'failed', last_error = $3, finished_at = $4, updated_at = $4
WHERE tenant_id = $1 AND id = $2
"""


async def _fail(tenant_id: UUID, run: AutomationRun, now: datetime, error: str) -> None:
    async with in_transaction() as connection:
        await connection.execute_query(_FAIL, [tenant_id, run.id, error[:2000], now])


async def _retry_later(tenant_id: UUID, run: AutomationRun, now: datetime, exc: Exception) -> None:
    attempts = int((run.context or {}).get("attempts", 0)) + 1
    delay = timedelta(minutes=2**attempts)
    error = f"INTERNAL: {type(exc).__name__} (attempt {attempts} of {MAX_ATTEMPTS})"
    async with in_transaction() as connection:
        await connection.execute_query(
            _RETRY, [tenant_id, run.id, now + delay, now, error, attempts, MAX_ATTEMPTS]
        )
