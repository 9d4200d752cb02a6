"""Durable time: PostgreSQL says which runs are due; a poller takes them and carries them on.

Every open run is a row with ``due_at`` (a new run is due at once, a waiting one when its wait ends).
:func:`poll` takes a store's due runs in batches, ``FOR UPDATE SKIP LOCKED``, under the store's
advisory lock (``pg_try_advisory_xact_lock``), so one poller at a time works on a store and a second
returns at once (``busy``). A store on hold (its wallet cannot pay, :mod:`domain.billing.holds`) is
skipped — one index probe — and left out of :func:`due_stores`; a run about to start is charged first
(:func:`domain.billing.charging.charge_runs`, set-based for the batch), and one the wallet cannot pay
stays due, untouched. First the batch's runs whose next step is a grant are granted together,
set-based (:func:`grant_together`); then each run is advanced, from wherever it now is, in its own
savepoint; the batch commits as one transaction. So a step is done exactly once however the work is
woken:

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

import json
import logging
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final
from uuid import UUID

from tortoise import Tortoise
from tortoise.transactions import in_transaction

from domain.automation import steps
from domain.automation.definition import GrantCashbackStep, GrantCreditStep
from domain.automation.engine import (
    OPEN_STATES,
    WAITING,
    Definitions,
    advance_locked,
    goal_reached,
    move,
    not_started,
    position,
    record_all,
)
from domain.automation.models import AutomationRun
from domain.billing import charging, holds
from domain.errors import DomainError
from domain.incentives import bulk_grants

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
  AND NOT EXISTS (SELECT 1 FROM wallets AS w WHERE w.tenant_id = t.id AND w.hold_reason IS NOT NULL)
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
        if await holds.on_hold(tenant_id, connection=connection) is not None:
            return result  # the wallet cannot pay: every due step waits for funds (docs/billing.md)
        ids = [row["id"] for row in await connection.execute_query_dict(_DUE, [tenant_id, now, limit])]
        if not ids:
            return result
        runs = {run.id: run for run in await AutomationRun.filter(tenant_id=tenant_id, id__in=ids)}
        definitions = Definitions()
        starting = [run.id for run in runs.values() if not_started(run)]
        if starting:
            tenant = await definitions.tenant(tenant_id)
            unpaid = set(starting) - await charging.charge_runs(connection, tenant, starting, now=now)
            ids = [run_id for run_id in ids if run_id not in unpaid]  # they stay due until funds come
        await definitions.prefetch(tenant_id, list(runs.values()))
        await grant_together([runs[run_id] for run_id in ids], now=now, definitions=definitions)
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


@dataclass(frozen=True)
class _Granting:
    run: AutomationRun
    step: GrantCashbackStep | GrantCreditStep
    index: int
    planned: steps.PlannedGrant


async def grant_together(runs: Sequence[AutomationRun], *, now: datetime, definitions: Definitions) -> None:
    """Carry out, set-based, the grant step that is next for the batch's runs, before they are
    advanced one by one; each of those runs then goes on from the step after its grant.

    A run is taken here only when the one-by-one path would do nothing else first and nothing but a
    ledger entry: it is open and due, its next step is ``grant_cashback`` or ``grant_credit``, no goal
    holds before that step (checked as :func:`domain.automation.engine.advance_locked` checks it), the
    grant is not zero, and no other run of the batch is its customer's (whose steps could change what
    this run's goals see). Everything else — and every run, if the set-based grant fails at all (its
    savepoint rolls back) — is left to the one-by-one path, which stays the reference.

    One grant of all the entries (:func:`domain.incentives.bulk_grants.grant_all`, on the same keys
    ``run:<run id>:step:<step id>``), one insert of the step events and one update of the runs.
    """
    taken = await _grants_due(runs, now=now, definitions=definitions)
    if not taken:
        return
    tenant_id: UUID = taken[0].run.tenant_id  # type: ignore[attr-defined]
    kept = [
        (t.run.context, t.run.state, t.run.current_step_id, t.run.current_step, t.run.finished_at)
        for t in taken
    ]
    try:
        async with in_transaction() as connection:
            amounts = await bulk_grants.grant_all(
                tenant_id=tenant_id,
                grants=[
                    bulk_grants.Grant(
                        customer_id=t.run.customer_id,  # type: ignore[attr-defined]
                        amount=t.planned.amount,
                        kind=t.planned.kind,
                        idempotency_key=steps.step_key(t.run.id, t.step.id),
                        available_at=t.planned.available_at,
                        expires_at=t.planned.expires_at,
                        order_id=t.planned.order_id,
                        note=t.planned.note,
                    )
                    for t in taken
                ],
                now=now,
            )
            done = []
            for t in taken:
                amount = amounts[steps.step_key(t.run.id, t.step.id)]
                outcome = steps.granted(t.planned, amount=amount, context=t.run.context)
                move(t.run, await definitions.of(t.run), t.index, outcome, now)
                done.append((t.run, t.step.id, t.step.type, outcome))
            await connection.execute_query(_MOVE, _moves([t.run for t in taken]))
            await record_all(done, now)
    except Exception:  # the one-by-one path does these runs, and says what went wrong with each
        logger.exception("the batch's grants could not be made together; granting one by one")
        for t, (context, state, step_id, step, finished_at) in zip(taken, kept, strict=True):
            t.run.context, t.run.state, t.run.current_step_id = context, state, step_id
            t.run.current_step, t.run.finished_at = step, finished_at


async def _grants_due(
    runs: Sequence[AutomationRun], *, now: datetime, definitions: Definitions
) -> list[_Granting]:
    customers = Counter(run.customer_id for run in runs)  # type: ignore[attr-defined]
    taken: list[_Granting] = []
    for run in runs:
        customer = definitions.customers.get(run.customer_id)  # type: ignore[attr-defined]
        if run.state not in OPEN_STATES or run.due_at > now or customer is None:
            continue
        if customers[run.customer_id] > 1:  # type: ignore[attr-defined]
            continue
        try:
            definition = await definitions.of(run)
        except DomainError:
            continue
        index = position(run, definition)
        if index is None:
            continue
        step = definition.steps[index]
        if not isinstance(step, GrantCashbackStep | GrantCreditStep):
            continue
        order_id: UUID | None = run.order_id  # type: ignore[attr-defined]
        order = definitions.orders.get(order_id) if order_id else None
        subject = steps.Subject(
            tenant=await definitions.tenant(run.tenant_id),  # type: ignore[attr-defined]
            customer=customer,
            order=order,
        )
        if await goal_reached(run, definition, subject, now):
            continue
        try:
            planned = steps.plan_grant(step, subject=subject, now=now)
        except DomainError:
            continue
        if planned is not None:
            taken.append(_Granting(run, step, index, planned))
    return taken


_MOVE = """
UPDATE automation_runs AS r
SET context = u.context::jsonb, state = u.state, current_step_id = u.step_id, current_step = u.step,
    finished_at = u.finished_at, updated_at = now()
FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::int[], $7::timestamptz[])
    AS u(id, context, state, step_id, step, finished_at)
WHERE r.tenant_id = $1 AND r.id = u.id
"""


def _moves(runs: Sequence[AutomationRun]) -> list[Any]:
    tenant_id: UUID = runs[0].tenant_id  # type: ignore[attr-defined]
    return [
        tenant_id,
        [run.id for run in runs],
        [json.dumps(run.context) for run in runs],
        [run.state for run in runs],
        [run.current_step_id for run in runs],
        [run.current_step for run in runs],
        [run.finished_at for run in runs],
    ]


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
