"""From stored events to domain rows: customers, orders, refunds, payments, then domain events.

Each event is processed in its own transaction under a row lock, so a bad event fails alone (its
error is kept for replay) and two workers never process the same event. Handlers of the domain events
an event causes (automations, credit) run inside that same transaction.

Stores send history out of order: a backfilled refund can be older than its order's last change, so
it comes first. An event about an order Revisit has not received yet *waits* for it (status
``waiting``, ``waiting_for = 'order:<id>'``) and is applied right after the order arrives, in the same
run. One that is still waiting after ``MAX_WAIT`` fails visibly and can be replayed.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from tortoise import Tortoise
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from domain.commerce import service as commerce
from domain.customers import service as customers
from domain.customers.service import CustomerIn, safe_phone
from domain.errors import DomainError, NotYetKnown
from domain.events.domain_events import CustomerCreated, DomainEvent, OrderCompleted, OrderReversed
from domain.events.models import IngestedEvent
from domain.events.schema import (
    BillingData,
    CustomerData,
    EventData,
    OrderData,
    PaymentData,
    RefundData,
    ValidatedEvent,
    validate_event,
)
from domain.incentives import service as incentives
from domain.tenancy.models import Tenant

Handler = Callable[[DomainEvent], Awaitable[Sequence[Any]]]
"""Reacts to a domain event inside the processing transaction; returns what it created (e.g. runs)."""

logger = logging.getLogger(__name__)


MAX_WAIT = timedelta(days=7)
"""How long an event may wait for the order it refers to before it fails (``ORDER_UNKNOWN``)."""


@dataclass
class ProcessReport:
    processed: int = 0
    failed: int = 0
    waiting: int = 0
    """Events put aside until what they refer to arrives."""
    created: list[Any] = field(default_factory=list)
    """Whatever the handlers created (automation runs to wake up once the transaction commits)."""

    @property
    def handled(self) -> int:
        return self.processed + self.failed + self.waiting


@dataclass(frozen=True)
class _Outcome:
    caused: list[DomainEvent]
    resolves: str | None = None
    """What this event brought into being that other events may be waiting for (``order:1042``)."""


async def process_pending(
    *, tenant_id: UUID, now: datetime, limit: int = 500, handlers: Sequence[Handler] = ()
) -> ProcessReport:
    """Process up to ``limit`` of the tenant's pending events, oldest first, and the waiting events
    that those bring to life (a refund whose order has just arrived), right after their cause."""
    tenant = await Tenant.get(id=tenant_id)
    ids = (
        await IngestedEvent.filter(tenant_id=tenant_id, status="pending")
        .order_by("occurred_at", "id")
        .limit(limit)
        .values_list("id", flat=True)
    )
    report = ProcessReport()
    queue: deque[int] = deque(int(event_id) for event_id in ids)  # type: ignore[call-overload]
    while queue:
        queue.extend(await _process_one(tenant, queue.popleft(), now, handlers, report))
    return report


async def _process_one(
    tenant: Tenant, event_id: int, now: datetime, handlers: Sequence[Handler], report: ProcessReport
) -> list[int]:
    """Process one event; return the ids of the waiting events it released, oldest first."""
    try:
        async with in_transaction() as connection:
            # One event of a tenant at a time, across all workers: two events about the same new
            # customer must not both create it. Released when the transaction ends.
            await connection.execute_query("SELECT pg_advisory_xact_lock(hashtext($1))", [str(tenant.id)])
            row = (
                await IngestedEvent.filter(id=event_id, status="pending")
                .select_for_update(skip_locked=True)
                .first()
            )
            if row is None:
                return []  # another worker has it, or it is done
            outcome = validate_event(row.payload)
            if not isinstance(outcome, ValidatedEvent):
                raise DomainError("INVALID_EVENT", outcome.reason)
            applied = await apply(tenant, outcome, now)
            for domain_event in applied.caused:
                for handler in handlers:
                    report.created.extend(await handler(domain_event))
            await IngestedEvent.filter(id=row.id).update(
                status="processed",
                processed_at=now,
                attempts=row.attempts + 1,
                error=None,
                waiting_for=None,
                waiting_since=None,
            )
            released = await _release(tenant.id, applied.resolves) if applied.resolves else []
        report.processed += 1
        return released
    except NotYetKnown as exc:
        await _record_wait(event_id, exc, now)
        report.waiting += 1
    except DomainError as exc:
        await _record_failure(event_id, f"{exc.code}: {exc.message}")
        report.failed += 1
    except Exception as exc:
        # Keep one broken event from holding back the rest; it stays visible and replayable.
        logger.exception("event %s could not be processed", event_id)
        await _record_failure(event_id, f"INTERNAL: {type(exc).__name__}")
        report.failed += 1
    return []


_RELEASE = """
UPDATE ingested_events SET status = 'pending'
WHERE tenant_id = $1 AND waiting_for = $2 AND status = 'waiting'
RETURNING id, occurred_at
"""


async def _release(tenant_id: UUID, awaited: str) -> list[int]:
    """Put the events waiting for ``awaited`` back in line; return their ids, oldest first."""
    rows = await Tortoise.get_connection("default").execute_query_dict(_RELEASE, [tenant_id, awaited])
    return [int(row["id"]) for row in sorted(rows, key=lambda row: (row["occurred_at"], row["id"]))]


async def _record_wait(event_id: int, reason: NotYetKnown, now: datetime) -> None:
    await _record(
        event_id,
        status="waiting",
        error=f"{reason.code}: {reason.message}{_WAITS_SUFFIX}",
        waiting_for=reason.awaited,
        waiting_since=now,
    )


async def _record_failure(event_id: int, error: str) -> None:
    await _record(event_id, status="failed", error=error)


async def _record(event_id: int, *, status: str, error: str, **fields: Any) -> None:
    """One more attempt of the event, ending in ``status`` with ``error`` (one statement)."""
    await IngestedEvent.filter(id=event_id).update(
        status=status, error=error, attempts=F("attempts") + 1, **fields
    )


_EXPIRE_WAITING = """
UPDATE ingested_events
SET status = 'failed', error = replace(error, $2, '') || $3
WHERE status = 'waiting' AND waiting_since < $1
"""
_WAITS_SUFFIX = " The event waits for it."


async def expire_waiting(*, now: datetime, max_wait: timedelta = MAX_WAIT) -> int:
    """Fail the events that have waited longer than ``max_wait`` for what they refer to; they stay
    visible with the reason and can be replayed. Returns how many."""
    count, _ = await Tortoise.get_connection("default").execute_query(
        _EXPIRE_WAITING,
        [now - max_wait, _WAITS_SUFFIX, f" It did not arrive within {max_wait.days} days."],
    )
    return int(count)


async def apply(tenant: Tenant, validated: ValidatedEvent, now: datetime) -> _Outcome:
    """Change the domain rows as the event says; return the domain events that follow."""
    data: EventData = validated.data
    occurred_at = validated.event.occurred_at
    if isinstance(data, CustomerData):
        customer, created = await customers.upsert(
            tenant_id=tenant.id, customer_in=_customer_in(data, tenant.country), now=now
        )
        return _Outcome([CustomerCreated(tenant.id, customer.id, occurred_at)] if created else [])
    if isinstance(data, OrderData):
        return await _apply_order(tenant, data, occurred_at, now)
    if isinstance(data, RefundData):
        order, fully_refunded = await commerce.record_refund(
            tenant_id=tenant.id, data=data, occurred_at=occurred_at
        )
        if order.customer_id:  # type: ignore[attr-defined]
            await customers.refresh_metrics(tenant_id=tenant.id, customer_id=order.customer_id)  # type: ignore[attr-defined]
        if fully_refunded:
            return _Outcome([OrderReversed(tenant.id, order.id, order.customer_id, "refunded", occurred_at)])  # type: ignore[attr-defined]
        return _Outcome([])
    if isinstance(data, PaymentData):
        await commerce.record_payment(tenant_id=tenant.id, data=data, occurred_at=occurred_at)
        return _Outcome([])
    raise DomainError("UNSUPPORTED_EVENT", f"No processing for {validated.type}.")


async def _apply_order(tenant: Tenant, data: OrderData, occurred_at: datetime, now: datetime) -> _Outcome:
    if data.currency != tenant.currency:
        raise DomainError(
            "CURRENCY_MISMATCH",
            f"The order is in {data.currency} but the store's currency is {tenant.currency}.",
            field="data.currency",
        )
    caused: list[DomainEvent] = []
    customer_in = _order_customer(data, tenant.country)
    customer_id = None
    if customer_in is not None:
        customer, created = await customers.upsert(tenant_id=tenant.id, customer_in=customer_in, now=now)
        customer_id = customer.id
        if created:
            caused.append(CustomerCreated(tenant.id, customer.id, occurred_at))
    change = await commerce.upsert_order(
        tenant_id=tenant.id, data=data, customer_id=customer_id, occurred_at=occurred_at
    )
    if change.order.credit_used > 0 and not change.stale and change.reversal_reason is None:
        # A reversal's handler gives the credit back after locking the order's automation runs; locking
        # the credit account here first would take the two locks in the opposite order to a running step.
        await incentives.capture_for_order(tenant_id=tenant.id, order=change.order, now=now)
    order_customer = change.order.customer_id  # type: ignore[attr-defined]
    if order_customer:
        await customers.refresh_metrics(tenant_id=tenant.id, customer_id=order_customer)
    if change.became_completed:
        caused.append(OrderCompleted(tenant.id, change.order.id, order_customer, occurred_at))
    if change.reversal_reason:
        caused.append(
            OrderReversed(tenant.id, change.order.id, order_customer, change.reversal_reason, occurred_at)
        )
    # A new order may have refunds and payments waiting for it.
    return _Outcome(
        caused, commerce.awaited_order(data.external_id) if change.previous_status is None else None
    )


def _customer_in(data: CustomerData, country: str, billing: BillingData | None = None) -> CustomerIn:
    return CustomerIn(
        external_id=data.external_id,
        phone=safe_phone(data.phone or (billing.phone if billing else None), country=country),
        email=data.email or (billing.email if billing else None),
        first_name=data.first_name or (billing.first_name if billing else None),
        last_name=data.last_name or (billing.last_name if billing else None),
        city=data.city or (billing.city if billing else None),
        birthday=data.birthday,
        marketing_consent=data.marketing_consent,
    )


def _order_customer(data: OrderData, country: str) -> CustomerIn | None:
    """Who placed the order: the customer block, filled in from billing details; None if no one is known."""
    customer_in = _customer_in(data.customer or CustomerData(), country, data.billing)
    if not (customer_in.external_id or customer_in.phone or customer_in.email):
        return None
    return customer_in
