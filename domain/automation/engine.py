"""Running automations: enrol customers when domain events arrive, then carry out each run's steps.

:func:`handle` runs inside the transaction that produced the event (ingestion's). It only writes
rows: one AutomationRun per automation and enrolment key, holding a copy of the definition. The
caller enqueues the returned runs once its transaction has committed.

:func:`advance` runs from a job and may run any number of times for the same run. It locks the run,
then executes the steps from ``current_step`` on, each in its own savepoint together with the
step's effect and the ``current_step`` bump, so a step is either done (and never repeated) or not
done at all. Every effect is also idempotent on its own key ``run:<run id>:step:<index>`` (the credit
entry, the outbound message), which keeps a step safe even if the run row were ever rewound.

Sending is not done here: a ``send_sms`` step only queues an OutboundMessage. The job delivers the
ids :func:`advance` returns, so a provider outage never holds up a run.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final
from uuid import UUID

from tortoise import Tortoise
from tortoise.transactions import in_transaction

from domain.automation.definition import AutomationDefinition, GrantCashbackStep, SendSmsStep
from domain.automation.models import Automation, AutomationRun
from domain.automation.service import ACTIVE
from domain.bulk import columns
from domain.commerce.models import Order
from domain.customers.models import Customer
from domain.errors import DomainError, NotFound
from domain.events.domain_events import DomainEvent, OrderCompleted, OrderReversed
from domain.incentives import ledger
from domain.messaging import service as messaging
from domain.messaging.formatting import format_money, render_template
from domain.tenancy.models import Tenant

PENDING: Final = "pending"
WAITING: Final = "waiting"
COMPLETED: Final = "completed"
FAILED: Final = "failed"
EXITED: Final = "exited"
OPEN_STATES: Final = (PENDING, WAITING)
"""Runs with steps still to do at ``due_at``. Completed, failed and exited runs are final."""


@dataclass(frozen=True)
class EnrolledRun:
    """A run :func:`handle` enrolled: what a worker needs to be woken for it."""

    id: UUID
    current_step: int
    due_at: datetime


@dataclass(frozen=True)
class AdvanceResult:
    """The run after :func:`advance`, and the outbound messages it queued that now need delivering."""

    run: AutomationRun
    message_ids: tuple[UUID, ...] = ()


async def handle(events: Sequence[DomainEvent], *, now: datetime | None = None) -> list[EnrolledRun]:
    """React to a batch of domain events inside the caller's transaction; return the runs it enrolled.

    ``now`` (default: the current time) is when new runs are due and reversals take effect.

    ``OrderCompleted`` enrols the order's customer in each of the tenant's active automations
    triggered by it whose conditions the order meets, once per automation and order (a repeated
    event enrols nobody again). Guest orders (no customer) enrol nobody. ``OrderReversed`` exits the
    order's open runs, holding their locks until the caller commits: the caller gives back the
    order's credit and reverses its cashback after this (see ``domain.events.processing``).
    The work is a few statements for the whole batch, whatever its size.
    """
    moment = now or datetime.now(UTC)
    await _exit(tuple(event for event in events if isinstance(event, OrderReversed)), now=moment)
    return await _enrol(tuple(event for event in events if isinstance(event, OrderCompleted)), now=moment)


async def advance(*, run_id: UUID, now: datetime) -> AdvanceResult:
    """Carry out the run's remaining steps that are due at ``now``; safe to call again at any time.

    Opens its own transaction (a savepoint when the caller has one) and holds the run's row lock
    throughout. A run that is final or not yet due is returned unchanged. A step that raises
    ``DomainError`` marks the run ``failed`` with the error in ``last_error``; earlier steps' effects
    stay. Notes on skipped work (no phone, zero cashback) go to ``run.context["notes"]``.
    """
    queued: list[UUID] = []
    async with in_transaction():
        run = await AutomationRun.select_for_update().get_or_none(id=run_id)
        if run is None:
            raise NotFound("Automation run")
        if run.state not in OPEN_STATES or run.due_at > now:
            return AdvanceResult(run)
        steps = AutomationDefinition.model_validate(run.context["definition"]).steps
        subject = await _Subject.load(run)
        while run.current_step < len(steps):
            index = run.current_step
            try:
                async with in_transaction():
                    outcome = await _execute(steps[index], index=index, run=run, subject=subject, now=now)
                    _apply(run, outcome)
                    await run.save()
            except DomainError as exc:
                run.state, run.finished_at = FAILED, now
                run.last_error = f"Step {index + 1}: {exc.message} ({exc.code})"
                await run.save()
                return AdvanceResult(run, tuple(queued))
            if outcome.message_id is not None:
                queued.append(outcome.message_id)
        run.state, run.finished_at = COMPLETED, now
        await run.save()
    return AdvanceResult(run, tuple(queued))


_ENROL = """
INSERT INTO automation_runs (id, tenant_id, automation_id, automation_version, customer_id, order_id,
    enrolment_key, state, current_step, due_at, context, created_at, updated_at)
SELECT gen_random_uuid(), $1, u.automation_id, u.version, u.customer_id, u.order_id,
    'order:' || u.order_id::text, 'pending', 0, $2, u.context::jsonb, now(), now()
FROM unnest($3::uuid[], $4::int[], $5::uuid[], $6::uuid[], $7::text[])
    AS u(automation_id, version, customer_id, order_id, context)
ON CONFLICT DO NOTHING
RETURNING id, current_step, due_at
"""


_ENROLLABLE = """
SELECT o.id, o.customer_id, o.total FROM orders AS o
JOIN customers AS c ON c.tenant_id = o.tenant_id AND c.id = o.customer_id
WHERE o.tenant_id = $1 AND o.id = ANY($2::uuid[])
"""


async def _enrol(events: Sequence[OrderCompleted], *, now: datetime) -> list[EnrolledRun]:
    wanted = [event for event in events if event.customer_id is not None]
    if not wanted:
        return []
    tenant_id = wanted[0].tenant_id
    automations = await Automation.filter(
        tenant_id=tenant_id, status=ACTIVE, trigger=wanted[0].name
    ).order_by("created_at", "id")
    if not automations:
        return []
    connection = Tortoise.get_connection("default")
    orders = {
        row["id"]: row
        for row in await connection.execute_query_dict(_ENROLLABLE, [tenant_id, [e.order_id for e in wanted]])
    }
    rows: list[tuple[UUID, int, UUID, UUID, str]] = []
    for automation in automations:
        definition = AutomationDefinition.model_validate(automation.definition)
        context = json.dumps(
            {"definition": definition.to_json(), "cashback": 0, "notes": [], "messages": []},
            ensure_ascii=False,
        )
        for event in wanted:
            order = orders.get(event.order_id)
            if order is None or order["customer_id"] != event.customer_id:
                continue  # gone, or no longer this customer's
            if definition.matches(total=order["total"]):
                rows.append(
                    (automation.id, automation.version, order["customer_id"], event.order_id, context)
                )
    if not rows:
        return []
    created = await connection.execute_query_dict(_ENROL, [tenant_id, now, *columns(rows, 5)])
    return [EnrolledRun(row["id"], row["current_step"], row["due_at"]) for row in created]


_EXIT = """
UPDATE automation_runs AS r
SET state = $3, finished_at = $2, updated_at = now(),
    context = jsonb_set(r.context, '{notes}', COALESCE(r.context -> 'notes', '[]'::jsonb) || to_jsonb(u.note))
FROM unnest($4::uuid[], $5::text[]) AS u(order_id, note)
WHERE r.tenant_id = $1 AND r.order_id = u.order_id AND r.state = ANY($6::text[])
"""


async def _exit(events: Sequence[OrderReversed], *, now: datetime) -> None:
    """Exit the reversed orders' open runs. The UPDATE waits for a run being advanced right now, so
    its grant commits first and the caller's reversal sees it; a run not yet advanced exits."""
    notes = {event.order_id: f"Order {event.reason}." for event in reversed(events)}  # the first reason wins
    if not notes:
        return
    await Tortoise.get_connection("default").execute_query(
        _EXIT, [events[0].tenant_id, now, EXITED, list(notes), list(notes.values()), list(OPEN_STATES)]
    )


@dataclass(frozen=True)
class _Subject:
    """What the steps of one run act on."""

    tenant: Tenant
    customer: Customer
    order: Order | None

    @classmethod
    async def load(cls, run: AutomationRun) -> _Subject:
        order_id: UUID | None = run.order_id  # type: ignore[attr-defined]
        return cls(
            tenant=await Tenant.get(id=run.tenant_id),  # type: ignore[attr-defined]
            customer=await Customer.get(id=run.customer_id, tenant_id=run.tenant_id),  # type: ignore[attr-defined]
            order=await Order.get_or_none(id=order_id) if order_id else None,
        )


@dataclass(frozen=True)
class _Outcome:
    """What a step did, to record on the run."""

    cashback: int = 0
    message_id: UUID | None = None
    note: str | None = None


async def _execute(
    step: GrantCashbackStep | SendSmsStep, *, index: int, run: AutomationRun, subject: _Subject, now: datetime
) -> _Outcome:
    key = f"run:{run.id}:step:{index}"
    if isinstance(step, GrantCashbackStep):
        return await _grant_cashback(step, key=key, subject=subject, now=now)
    return await _send_sms(
        step, key=key, cashback=int(run.context.get("cashback", 0)), subject=subject, now=now
    )


async def _grant_cashback(step: GrantCashbackStep, *, key: str, subject: _Subject, now: datetime) -> _Outcome:
    order = subject.order
    if order is None:
        raise DomainError("ORDER_MISSING", "The order this run was enrolled for no longer exists.")
    amount = step.cashback(total=order.total, shipping_total=order.shipping_total)
    if amount == 0:
        return _Outcome(note="Cashback came to zero; nothing granted.")
    available_at = now + timedelta(days=step.available_after_days)
    expires_at = available_at + timedelta(days=step.expires_after_days) if step.expires_after_days else None
    entry = await ledger.grant(
        tenant_id=subject.tenant.id,
        customer_id=subject.customer.id,
        amount=amount,
        kind=ledger.CASHBACK,
        idempotency_key=key,
        available_at=available_at,
        expires_at=expires_at,
        order_id=order.id,
        note=f"Cashback for order {order.number or order.external_id}",
        now=now,
    )
    return _Outcome(cashback=entry.amount)


async def _send_sms(
    step: SendSmsStep, *, key: str, cashback: int, subject: _Subject, now: datetime
) -> _Outcome:
    tenant, customer = subject.tenant, subject.customer
    if not customer.phone:
        return _Outcome(note="The customer has no phone; SMS skipped.")
    balance = await ledger.balances(tenant_id=tenant.id, customer_id=customer.id, now=now)
    body = render_template(
        step.template,
        {
            "first_name": customer.first_name,
            "credit": format_money(cashback, tenant.currency, tenant.locale),
            "balance": format_money(balance.total, tenant.currency, tenant.locale),
            "store": tenant.name,
        },
    )
    message = await messaging.queue_sms(
        tenant=tenant, customer=customer, origin_key=key, purpose=step.purpose, body=body
    )
    if message.status == messaging.QUEUED:
        return _Outcome(message_id=message.id)
    return _Outcome(note=f"SMS not sent: {message.failure_reason or message.status}.")


def _apply(run: AutomationRun, outcome: _Outcome) -> None:
    context: dict[str, Any] = dict(run.context)
    context["cashback"] = int(context.get("cashback", 0)) + outcome.cashback
    if outcome.message_id is not None:
        context["messages"] = [*context.get("messages", []), str(outcome.message_id)]
    if outcome.note is not None:
        context["notes"] = [*context.get("notes", []), f"Step {run.current_step + 1}: {outcome.note}"]
    run.context = context
    run.current_step += 1
