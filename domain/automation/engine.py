"""Running journeys: enrol customers when domain events arrive, then carry out each run's steps.

:func:`handle` runs inside the transaction that produced the events (ingestion's). It first holds the
open runs of reversed and refunded orders — a reversed order's runs exit (reason ``order_refunded``,
``order_cancelled`` or ``order_failed``), a partly refunded one's are only locked — so a step being
carried out right now commits before the caller's credit settlement sees it. Then it enrols, through
:func:`domain.automation.enrolment.enrol`, the customers the events make candidates of the store's
active journeys. The caller wakes the returned runs once its transaction has committed.

:func:`advance_locked` carries out a run's due steps from ``current_step_id`` on, each in its own
savepoint together with the step's effect, the run's new position and its ``automation_step_events``
row, so a step is either done and recorded or not done at all. Before every step the journey's goals
(``exit_if``) are checked; one that holds exits the run (reason ``goal``). A ``wait`` puts the run to
sleep: state ``waiting`` with ``due_at``, which :mod:`domain.automation.poller` takes when it comes.

Sending is not done here: a ``send_sms`` step only queues an OutboundMessage; the job delivers the ids
returned, after commit, so a provider outage never holds up a run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final
from uuid import UUID

from tortoise import Tortoise
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from domain.automation import checks, steps
from domain.automation.definition import (
    TRIGGER_KEYS_OF_EVENT,
    JourneyDefinition,
    NthOrderTrigger,
    SegmentTrigger,
)
from domain.automation.enrolment import Candidate, EnrolledRun, enrol
from domain.automation.locks import hold_order_runs
from domain.automation.models import Automation, AutomationRun, AutomationStepEvent, AutomationVersion
from domain.billing import charging, holds
from domain.commerce.models import Order
from domain.customers.models import Customer
from domain.errors import DomainError, NotFound
from domain.events.domain_events import (
    CustomerCreated,
    CustomerUpdated,
    DomainEvent,
    OrderCompleted,
    OrderCreated,
    OrderRefunded,
    OrderReversed,
    SegmentEntered,
    SegmentLeft,
)
from domain.tenancy.models import Tenant

__all__ = [
    "COMPLETED",
    "EXITED",
    "FAILED",
    "OPEN_STATES",
    "PENDING",
    "WAITING",
    "AdvanceResult",
    "Definitions",
    "EnrolledRun",
    "advance",
    "advance_locked",
    "goal_reached",
    "handle",
    "move",
    "not_started",
    "position",
    "record_all",
]

PENDING: Final = "pending"
WAITING: Final = "waiting"
COMPLETED: Final = "completed"
FAILED: Final = "failed"
EXITED: Final = "exited"
OPEN_STATES: Final = (PENDING, WAITING)
"""Runs with steps still to do at ``due_at``. Completed, failed and exited runs are final."""

GOAL: Final = "goal"
ACTIVE: Final = "active"


@dataclass(frozen=True)
class AdvanceResult:
    """The run after :func:`advance`, and the outbound messages it queued that now need delivering."""

    run: AutomationRun
    message_ids: tuple[UUID, ...] = ()


# --- enrolling from events ------------------------------------------------------------------------


async def handle(events: Sequence[DomainEvent], *, now: datetime | None = None) -> list[EnrolledRun]:
    """React to a batch's domain events inside the caller's transaction; return the runs it enrolled.

    ``now`` (default: the current time) is when new runs are due and reversals take effect. Guest
    orders (no customer) enrol nobody; a repeated event enrols nobody again (enrolment keys). The work
    is a few statements per journey concerned, whatever the number of events.
    """
    if not events:
        return []
    moment = now or datetime.now(UTC)
    await _hold(events, now=moment)
    by_key = _candidates(events)
    if not by_key:
        return []
    tenant_id = events[0].tenant_id
    automations = await Automation.filter(
        tenant_id=tenant_id, status=ACTIVE, trigger__in=sorted(by_key)
    ).order_by("id")  # one lock order for every batch
    enrolled: list[EnrolledRun] = []
    ordinals: dict[UUID, int] | None = None
    for automation in automations:
        definition = JourneyDefinition.model_validate(automation.definition)
        trigger = definition.trigger
        candidates = by_key[automation.trigger]
        if isinstance(trigger, NthOrderTrigger):
            if ordinals is None:
                ordinals = await _ordinals(tenant_id, [c.order_id for c in candidates if c.order_id])
            candidates = [c for c in candidates if c.order_id and ordinals.get(c.order_id) == trigger.n]
        elif isinstance(trigger, SegmentTrigger):
            candidates = [c for c in candidates if c.facts.get("segment_id") == str(trigger.segment_id)]
        enrolled += await enrol(tenant_id=tenant_id, automation=automation, candidates=candidates, now=moment)
    return enrolled


def _candidates(events: Sequence[DomainEvent]) -> dict[str, list[Candidate]]:
    """The candidates of each ``automations.trigger`` key the events concern, in event order."""
    found: dict[str, list[Candidate]] = {}

    def add(event_name: str, candidate: Candidate) -> None:
        for key in TRIGGER_KEYS_OF_EVENT[event_name]:
            found.setdefault(key, []).append(candidate)

    for event in events:
        facts: dict[str, Any] = {"trigger": event.name, "occurred_at": event.occurred_at.isoformat()}
        if isinstance(event, OrderCreated | OrderCompleted) and event.customer_id:
            add(event.name, Candidate(event.customer_id, f"order:{event.order_id}", event.order_id, facts))
        elif isinstance(event, OrderRefunded) and event.customer_id:
            facts |= {"refund_id": event.refund_id, "amount": event.amount, "fully": event.fully_refunded}
            add(
                "order.refunded",
                Candidate(event.customer_id, f"order:{event.order_id}", event.order_id, facts),
            )
        elif (
            isinstance(event, OrderReversed)
            and event.customer_id
            and event.reason in ("refunded", "cancelled")
        ):
            name = f"order.{event.reason}"
            add(name, Candidate(event.customer_id, f"order:{event.order_id}", event.order_id, facts))
        elif isinstance(event, CustomerCreated):
            add(event.name, Candidate(event.customer_id, "signup", None, facts))
        elif isinstance(event, CustomerUpdated):
            key = f"updated:{event.occurred_at.isoformat()}"
            add(event.name, Candidate(event.customer_id, key, None, facts))
        elif isinstance(event, SegmentEntered | SegmentLeft):
            facts["segment_id"] = str(event.segment_id)
            key = f"{event.name}:{event.segment_id}:{event.occurred_at.isoformat()}"
            add(event.name, Candidate(event.customer_id, key, None, facts))
    return found


_ORDINALS = """
SELECT o.id, (SELECT count(*) FROM orders AS p
    WHERE p.tenant_id = o.tenant_id AND p.customer_id = o.customer_id AND p.completed_at IS NOT NULL
      AND (p.completed_at, p.id) <= (o.completed_at, o.id)) AS nth
FROM orders AS o WHERE o.tenant_id = $1 AND o.id = ANY($2::uuid[]) AND o.completed_at IS NOT NULL
"""


async def _ordinals(tenant_id: UUID, order_ids: list[UUID]) -> dict[UUID, int]:
    """Each completed order's place among its customer's completed orders (1 for the first)."""
    if not order_ids:
        return {}
    rows = await Tortoise.get_connection("default").execute_query_dict(_ORDINALS, [tenant_id, order_ids])
    return {row["id"]: int(row["nth"]) for row in rows}


_EXIT = """
WITH gone AS (
    UPDATE automation_runs AS r
    SET state = 'exited', exit_reason = 'order_' || u.reason, finished_at = $2, updated_at = $2,
        context = jsonb_set(r.context, '{notes}',
            COALESCE(r.context -> 'notes', '[]'::jsonb) || to_jsonb('Order ' || u.reason || '.'))
    FROM unnest($3::uuid[], $4::text[]) AS u(order_id, reason)
    WHERE r.tenant_id = $1 AND r.order_id = u.order_id AND r.state IN ('pending', 'waiting')
    RETURNING r.id, r.automation_id, r.automation_version, r.current_step_id, u.reason
)
INSERT INTO automation_step_events (tenant_id, automation_id, run_id, automation_version, step_id,
    step_type, outcome, occurred_at, credit_amount, note)
SELECT $1, automation_id, id, automation_version, COALESCE(current_step_id, ''), '', 'exited', $2, 0,
    'Order ' || reason || '.'
FROM gone
"""


async def _hold(events: Sequence[DomainEvent], *, now: datetime) -> None:
    """Exit the reversed orders' open runs and lock the partly refunded ones'. Each statement waits for
    a run being advanced right now, so its grant commits first and the caller's settlement sees it."""
    reasons: dict[UUID, str] = {}
    for event in reversed(events):  # the first reason wins
        if isinstance(event, OrderReversed):
            reasons[event.order_id] = event.reason
    refunded = sorted({e.order_id for e in events if isinstance(e, OrderRefunded)} - set(reasons))
    connection = Tortoise.get_connection("default")
    tenant_id = events[0].tenant_id
    await hold_order_runs(connection, tenant_id, refunded)  # processing holds them already; callers may not
    if reasons:
        await connection.execute_query(_EXIT, [tenant_id, now, list(reasons), list(reasons.values())])


# --- advancing runs -------------------------------------------------------------------------------


@dataclass
class Definitions:
    """What a poll reads once for its whole batch: journey versions (a batch's runs share few), the
    store, and the runs' customers and orders (:meth:`prefetch`: two statements, not two per run)."""

    loaded: dict[tuple[UUID, int], JourneyDefinition] = field(default_factory=dict)
    tenants: dict[UUID, Tenant] = field(default_factory=dict)
    customers: dict[UUID, Customer] = field(default_factory=dict)
    orders: dict[UUID, Order] = field(default_factory=dict)

    async def prefetch(self, tenant_id: UUID, runs: Sequence[AutomationRun]) -> None:
        customer_ids = {run.customer_id for run in runs}  # type: ignore[attr-defined]
        order_ids = {run.order_id for run in runs if run.order_id}  # type: ignore[attr-defined]
        for customer in await Customer.filter(tenant_id=tenant_id, id__in=customer_ids):
            self.customers[customer.id] = customer
        if order_ids:
            for order in await Order.filter(tenant_id=tenant_id, id__in=order_ids):
                self.orders[order.id] = order

    async def of(self, run: AutomationRun) -> JourneyDefinition:
        stored = run.context.get("definition")
        if stored is not None:  # runs enrolled before journeys had versions carry their copy
            return JourneyDefinition.model_validate(stored)
        key = (run.automation_id, run.automation_version)  # type: ignore[attr-defined]
        if key not in self.loaded:
            version = await AutomationVersion.get_or_none(
                tenant_id=run.tenant_id,  # type: ignore[attr-defined]
                automation_id=key[0],
                version=key[1],
            )
            if version is None:
                raise DomainError("VERSION_MISSING", f"Version {key[1]} of the journey is missing.")
            self.loaded[key] = JourneyDefinition.model_validate(version.definition)
        return self.loaded[key]

    async def tenant(self, tenant_id: UUID) -> Tenant:
        if tenant_id not in self.tenants:
            self.tenants[tenant_id] = await Tenant.get(id=tenant_id)
        return self.tenants[tenant_id]


async def advance(*, run_id: UUID, now: datetime, tenant_id: UUID | None = None) -> AdvanceResult:
    """Carry out the run's steps that are due at ``now``; safe to call again at any time.

    Opens its own transaction (a savepoint when the caller has one) and holds the run's row lock
    throughout. A run that is final or not yet due is returned unchanged."""
    async with in_transaction() as connection:
        query = AutomationRun.select_for_update().filter(id=run_id)
        if tenant_id is not None:
            query = query.filter(tenant_id=tenant_id)
        run = await query.first()
        if run is None:
            raise NotFound("Automation run")
        if not await _may_go_on(connection, run, now):
            return AdvanceResult(run, ())
        queued = await advance_locked(run, now=now, definitions=Definitions())
    return AdvanceResult(run, tuple(queued))


def not_started(run: AutomationRun) -> bool:
    """Whether the run's first step has not been carried out yet (steps only jump forward, so a run still
    pending at position 0 has not started)."""
    return run.state == PENDING and run.current_step == 0 and run.finished_at is None


async def _may_go_on(connection: BaseDBAsyncClient, run: AutomationRun, now: datetime) -> bool:
    """Whether the store's wallet lets the run's due steps be carried out now: not on hold, and the run's
    start paid (charged here when it is about to start, :mod:`domain.billing.charging`)."""
    if run.state not in OPEN_STATES or run.due_at > now:
        return True  # nothing will be done
    tenant_id: UUID = run.tenant_id  # type: ignore[attr-defined]
    if await holds.on_hold(tenant_id, connection=connection) is not None:
        return False
    if not not_started(run):
        return True
    tenant = await Tenant.get(id=tenant_id)
    return run.id in await charging.charge_runs(connection, tenant, [run.id], now=now)


async def advance_locked(run: AutomationRun, *, now: datetime, definitions: Definitions) -> list[UUID]:
    """Carry out the due steps of ``run``, whose row the caller has locked; returns the messages to
    deliver. A step that raises ``DomainError`` fails the run (``last_error``, a ``failed`` event);
    earlier steps' effects stay."""
    if run.state not in OPEN_STATES or run.due_at > now:
        return []
    definition = await definitions.of(run)
    subject = await _subject(run, definitions)
    queued: list[UUID] = []
    for _ in range(len(definition.steps) + 1):  # forward jumps only: each step at most once per call
        index = position(run, definition)
        if index is None:
            await _finish(run, COMPLETED, now=now)
            break
        step = definition.steps[index]
        if await goal_reached(run, definition, subject, now):
            await _record(run, step.id, step.type, steps.EXITED, now, note="A goal was reached.")
            await _finish(run, EXITED, now=now, reason=GOAL)
            break
        snapshot = (
            run.context,
            run.state,
            run.current_step_id,
            run.current_step,
            run.due_at,
            run.finished_at,
        )
        try:
            async with in_transaction():
                outcome = await steps.execute(
                    step, run_id=run.id, context=run.context, subject=subject, now=now
                )
                move(run, definition, index, outcome, now)
                await run.save()
                await _record(
                    run,
                    step.id,
                    step.type,
                    outcome.outcome,
                    now,
                    note=outcome.note,
                    message_id=outcome.message_id,
                    credit_amount=outcome.credit_amount,
                    coupon_id=outcome.coupon_id,
                )
        except DomainError as exc:
            (run.context, run.state, run.current_step_id, run.current_step, run.due_at, run.finished_at) = (
                snapshot
            )
            run.last_error = f"Step {step.id}: {exc.message} ({exc.code})"
            await _record(run, step.id, step.type, steps.FAILED, now, note=run.last_error)
            await _finish(run, FAILED, now=now)
            break
        if outcome.deliver is not None:
            queued.append(outcome.deliver)
        if run.state != PENDING:
            break
    return queued


def position(run: AutomationRun, definition: JourneyDefinition) -> int | None:
    if run.current_step_id is None:
        return run.current_step if run.current_step < len(definition.steps) and not run.finished_at else None
    return definition.step_index(run.current_step_id)


def move(
    run: AutomationRun, definition: JourneyDefinition, index: int, outcome: steps.Outcome, now: datetime
) -> None:
    """The run's new position after a step."""
    if outcome.context is not None:
        run.context = outcome.context
    if outcome.note and outcome.outcome != steps.DONE:
        run.context = {
            **run.context,
            "notes": [*run.context.get("notes", []), f"{definition.steps[index].id}: {outcome.note}"],
        }
    following = steps.next_step_id(definition, index, outcome)
    run.current_step_id = following
    position = definition.step_index(following) if following else None
    run.current_step = len(definition.steps) if position is None else position
    if following is None:
        run.state, run.finished_at = COMPLETED, now
    elif outcome.until is not None:
        run.state, run.due_at = WAITING, outcome.until
    else:
        run.state = PENDING


async def goal_reached(
    run: AutomationRun, definition: JourneyDefinition, subject: steps.Subject, now: datetime
) -> bool:
    if checks.lapse_over(run.context, subject.customer.last_order_at):
        return True
    for goal in definition.goals():
        if await checks.holds(
            goal.if_,
            tenant_id=subject.tenant.id,
            customer_id=subject.customer.id,
            context=run.context,
            order_id=subject.order.id if subject.order else None,
            now=now,
        ):
            return True
    return False


async def _finish(run: AutomationRun, state: str, *, now: datetime, reason: str | None = None) -> None:
    run.state, run.finished_at, run.exit_reason = state, now, reason
    if state != FAILED:
        run.current_step_id = None
    await run.save()


async def _record(
    run: AutomationRun,
    step_id: str,
    step_type: str,
    outcome: str,
    now: datetime,
    *,
    note: str = "",
    message_id: UUID | None = None,
    credit_amount: int = 0,
    coupon_id: UUID | None = None,
) -> None:
    await AutomationStepEvent.create(
        tenant_id=run.tenant_id,  # type: ignore[attr-defined]
        automation_id=run.automation_id,  # type: ignore[attr-defined]
        run_id=run.id,
        automation_version=run.automation_version,
        step_id=step_id,
        step_type=step_type,
        outcome=outcome,
        occurred_at=now,
        message_id=message_id,
        credit_amount=credit_amount,
        coupon_id=coupon_id,
        note=note[:500],
    )


_RECORD_ALL = """
INSERT INTO automation_step_events (tenant_id, automation_id, run_id, automation_version, step_id,
    step_type, outcome, occurred_at, message_id, credit_amount, coupon_id, note)
SELECT $1, u.automation_id, u.run_id, u.version, u.step_id, u.step_type, u.outcome, $2, u.message_id,
    u.credit_amount, u.coupon_id, u.note
FROM unnest($3::uuid[], $4::uuid[], $5::int[], $6::text[], $7::text[], $8::text[], $9::uuid[],
    $10::bigint[], $11::uuid[], $12::text[]) WITH ORDINALITY
    AS u(automation_id, run_id, version, step_id, step_type, outcome, message_id, credit_amount,
         coupon_id, note, n)
ORDER BY u.n
"""


async def record_all(done: Sequence[tuple[AutomationRun, str, str, steps.Outcome]], now: datetime) -> None:
    """The step events of many runs' steps (run, step id, step type, outcome) in one statement, as
    :func:`_record` writes one."""
    if not done:
        return
    runs = [run for run, _, _, _ in done]
    outcomes = [outcome for _, _, _, outcome in done]
    await Tortoise.get_connection(
        "default"
    ).execute_query(
        _RECORD_ALL,
        [
            runs[0].tenant_id,  # type: ignore[attr-defined]
            now,
            [run.automation_id for run in runs],  # type: ignore[attr-defined]
            [run.id for run in runs],
            [run.automation_version for run in runs],
            [step_id for _, step_id, _, _ in done],
            [step_type for _, _, step_type, _ in done],
            [outcome.outcome for outcome in outcomes],
            [outcome.message_id for outcome in outcomes],
            [outcome.credit_amount for outcome in outcomes],
            [outcome.coupon_id for outcome in outcomes],
            [outcome.note[:500] for outcome in outcomes],
        ],
    )


async def _subject(run: AutomationRun, definitions: Definitions) -> steps.Subject:
    tenant_id: UUID = run.tenant_id  # type: ignore[attr-defined]
    customer_id: UUID = run.customer_id  # type: ignore[attr-defined]
    order_id: UUID | None = run.order_id  # type: ignore[attr-defined]
    customer = definitions.customers.pop(customer_id, None)  # read once: a later run reads it afresh
    if customer is None:
        customer = await Customer.get(tenant_id=tenant_id, id=customer_id)
    order = definitions.orders.get(order_id) if order_id else None
    if order_id and order is None:
        order = await Order.get_or_none(tenant_id=tenant_id, id=order_id)
    return steps.Subject(tenant=await definitions.tenant(tenant_id), customer=customer, order=order)
