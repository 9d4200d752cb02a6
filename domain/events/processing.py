"""From stored events to domain rows: customers, orders, refunds, payments, then domain events.

Each event is processed in its own transaction under a row lock, so a bad event fails alone (its
error is kept for replay) and two workers never process the same event. Handlers of the domain events
an event causes (automations, credit) run inside that same transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from tortoise.transactions import in_transaction

from domain.commerce import service as commerce
from domain.customers import service as customers
from domain.customers.service import CustomerIn, safe_phone
from domain.errors import DomainError
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


@dataclass
class ProcessReport:
    processed: int = 0
    failed: int = 0
    created: list[Any] = field(default_factory=list)
    """Whatever the handlers created (automation runs to wake up once the transaction commits)."""


async def process_pending(
    *, tenant_id: UUID, now: datetime, limit: int = 500, handlers: Sequence[Handler] = ()
) -> ProcessReport:
    """Process up to ``limit`` of the tenant's pending events, oldest first."""
    tenant = await Tenant.get(id=tenant_id)
    ids = (
        await IngestedEvent.filter(tenant_id=tenant_id, status="pending")
        .order_by("occurred_at", "id")
        .limit(limit)
        .values_list("id", flat=True)
    )
    report = ProcessReport()
    for event_id in ids:
        await _process_one(tenant, int(event_id), now, handlers, report)  # type: ignore[call-overload]
    return report


async def _process_one(
    tenant: Tenant, event_id: int, now: datetime, handlers: Sequence[Handler], report: ProcessReport
) -> None:
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
                return  # another worker has it, or it is done
            outcome = validate_event(row.payload)
            if not isinstance(outcome, ValidatedEvent):
                raise DomainError("INVALID_EVENT", outcome.reason)
            caused = await apply(tenant, outcome, now)
            for domain_event in caused:
                for handler in handlers:
                    report.created.extend(await handler(domain_event))
            await IngestedEvent.filter(id=row.id).update(
                status="processed", processed_at=now, attempts=row.attempts + 1, error=None
            )
        report.processed += 1
    except DomainError as exc:
        await _record_failure(event_id, f"{exc.code}: {exc.message}")
        report.failed += 1
    except Exception as exc:
        # Keep one broken event from holding back the rest; it stays visible and replayable.
        logger.exception("event %s could not be processed", event_id)
        await _record_failure(event_id, f"INTERNAL: {type(exc).__name__}")
        report.failed += 1


async def _record_failure(event_id: int, error: str) -> None:
    row = await IngestedEvent.get(id=event_id)
    row.attempts += 1
    row.error = error
    row.status = "failed"
    await row.save(update_fields=["attempts", "error", "status"])


async def apply(tenant: Tenant, validated: ValidatedEvent, now: datetime) -> list[DomainEvent]:
    """Change the domain rows as the event says; return the domain events that follow."""
    data: EventData = validated.data
    occurred_at = validated.event.occurred_at
    if isinstance(data, CustomerData):
        customer, created = await customers.upsert(
            tenant_id=tenant.id, customer_in=_customer_in(data), now=now
        )
        return [CustomerCreated(tenant.id, customer.id, occurred_at)] if created else []
    if isinstance(data, OrderData):
        return await _apply_order(tenant, data, occurred_at, now)
    if isinstance(data, RefundData):
        order, fully_refunded = await commerce.record_refund(
            tenant_id=tenant.id, data=data, occurred_at=occurred_at
        )
        if order.customer_id:  # type: ignore[attr-defined]
            await customers.refresh_metrics(tenant_id=tenant.id, customer_id=order.customer_id)  # type: ignore[attr-defined]
        if fully_refunded:
            return [OrderReversed(tenant.id, order.id, order.customer_id, "refunded", occurred_at)]  # type: ignore[attr-defined]
        return []
    if isinstance(data, PaymentData):
        await commerce.record_payment(tenant_id=tenant.id, data=data, occurred_at=occurred_at)
        return []
    raise DomainError("UNSUPPORTED_EVENT", f"No processing for {validated.type}.")


async def _apply_order(
    tenant: Tenant, data: OrderData, occurred_at: datetime, now: datetime
) -> list[DomainEvent]:
    if data.currency != tenant.currency:
        raise DomainError(
            "CURRENCY_MISMATCH",
            f"The order is in {data.currency} but the store's currency is {tenant.currency}.",
            field="data.currency",
        )
    caused: list[DomainEvent] = []
    customer_in = _order_customer(data)
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
    return caused


def _customer_in(data: CustomerData, billing: BillingData | None = None) -> CustomerIn:
    return CustomerIn(
        external_id=data.external_id,
        phone=safe_phone(data.phone or (billing.phone if billing else None)),
        email=data.email or (billing.email if billing else None),
        first_name=data.first_name or (billing.first_name if billing else None),
        last_name=data.last_name or (billing.last_name if billing else None),
        city=data.city or (billing.city if billing else None),
        birthday=data.birthday,
        marketing_consent=data.marketing_consent,
    )


def _order_customer(data: OrderData) -> CustomerIn | None:
    """Who placed the order: the customer block, filled in from billing details; None if no one is known."""
    customer_in = _customer_in(data.customer or CustomerData(), data.billing)
    if not (customer_in.external_id or customer_in.phone or customer_in.email):
        return None
    return customer_in
