"""One attempt at a batch of a store's events: load what they refer to, apply them in memory in the
order they happened, write the result with one statement per table, announce the domain events.

:mod:`domain.events.processing` decides which events form a batch, holds the store's lock and
isolates failures; :class:`Batch` does the work, and raises only when a statement fails.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

import orjson
from tortoise.backends.base.client import BaseDBAsyncClient

from domain.automation.locks import hold_order_runs
from domain.bulk import columns
from domain.commerce.batch import OrderBatch, OrderInput
from domain.commerce.service import awaited_order
from domain.customers.batch import CustomerBatch
from domain.customers.service import CustomerIn, safe_phone
from domain.errors import DomainError, NotYetKnown
from domain.events.domain_events import (
    CustomerCreated,
    CustomerUpdated,
    DomainEvent,
    OrderCompleted,
    OrderCreated,
    OrderRefunded,
    OrderReversed,
)
from domain.events.schema import (
    BillingData,
    CustomerData,
    EventRejection,
    OrderData,
    PaymentData,
    RefundData,
    ValidatedEvent,
    validate_event,
)
from domain.incentives.settlement import CreditAction, settle_orders
from domain.intelligence.metrics import refresh_customers
from domain.intelligence.store import StoreModel, load
from domain.segments.refresh import announced, refresh_segments
from domain.tenancy.models import Tenant


class Handler(Protocol):
    """Reacts to a batch's domain events inside its transaction at ``now`` (the batch's moment);
    returns what it created that needs waking once the transaction commits (journey runs), else []."""

    async def __call__(self, events: Sequence[DomainEvent], *, now: datetime) -> Sequence[Any]: ...


@dataclass
class ProcessReport:
    processed: int = 0
    failed: int = 0
    waiting: int = 0
    """Events put aside until what they refer to arrives."""
    created: list[Any] = field(default_factory=list)
    """Whatever the handlers created (automation runs to wake up once the transaction commits)."""
    busy: bool = False
    """Another worker holds the store's events; nothing was taken."""

    @property
    def handled(self) -> int:
        return self.processed + self.failed + self.waiting

    def add(self, other: ProcessReport) -> None:
        self.processed += other.processed
        self.failed += other.failed
        self.waiting += other.waiting
        self.created.extend(other.created)
        self.busy = self.busy or other.busy


@dataclass(frozen=True)
class Stored:
    id: int
    occurred_at: datetime
    payload: Any

    @classmethod
    def of(cls, row: dict[str, Any]) -> Stored:
        return cls(int(row["id"]), row["occurred_at"], _loads(row["payload"]))


def _loads(text: str) -> Any:
    """A stored payload as Python values: orjson, or the standard parser for what orjson does not take
    (numbers beyond 64 bits, which PostgreSQL's jsonb keeps)."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


_RELEASE = """
UPDATE ingested_events SET status = 'pending'
WHERE tenant_id = $1 AND status = 'waiting' AND waiting_for = ANY($2::text[])
RETURNING id, occurred_at, payload::text AS payload, waiting_for, waiting_since, error
"""
_MARK = """
UPDATE ingested_events AS e
SET status = u.status, error = u.error, attempts = e.attempts + 1, waiting_for = u.waiting_for,
    waiting_since = u.waiting_since, customer_id = COALESCE(u.customer_id, e.customer_id),
    processed_at = CASE WHEN u.status = 'processed' THEN $2 ELSE e.processed_at END
FROM unnest($3::bigint[], $4::text[], $5::text[], $6::text[], $7::timestamptz[], $8::uuid[])
    AS u(id, status, error, waiting_for, waiting_since, customer_id)
WHERE e.tenant_id = $1 AND e.id = u.id
"""
WAITS_SUFFIX = " The event waits for it."

Mark = tuple[int, str, str | None, str | None, datetime | None, UUID | None]
"""How an event ends its attempt: (event id, status, error, waiting_for, waiting_since, the customer it
was found to be about)."""


async def mark(connection: BaseDBAsyncClient, tenant_id: UUID, now: datetime, marks: Sequence[Mark]) -> None:
    """One more attempt of each event, ending in its status (one statement for all)."""
    if marks:
        await connection.execute_query(_MARK, [tenant_id, now, *columns(marks, 6)])


@dataclass
class _Step:
    """What one event did in memory."""

    caused: list[DomainEvent] = field(default_factory=list)
    resolves: str | None = None
    """What it brought into being that other events may be waiting for (``order:1042``)."""
    customer_id: UUID | None = None
    """The customer the event was about, for their timeline."""


_Event = tuple[Stored, ValidatedEvent | EventRejection]


class Batch:
    """One attempt at applying a list of events: load, apply in memory, write, announce."""

    def __init__(self, connection: BaseDBAsyncClient, tenant: Tenant, now: datetime) -> None:
        self.connection, self.tenant, self.now = connection, tenant, now
        self.marks: list[Mark] = []
        self.caused: list[DomainEvent] = []
        self.metrics_of: set[UUID] = set()
        self.credit: dict[str, list[CreditAction]] = {}
        """Per order (external id), its credit actions in event order: None captures, a reason reverses."""
        self.released: dict[str, list[_Event]] = {}
        """Waiting events released by orders new to the store, by what they wait for, oldest first."""
        self.was_waiting: dict[int, tuple[str | None, datetime | None]] = {}
        self.people: dict[int, CustomerIn | None] = {}
        """Who each customer or order event is about (by ``id()`` of the validated event)."""
        self.seen: dict[UUID, datetime] = {}
        """The newest event about each customer the events mention, for ``customer.updated``."""

    async def run(self, stored: list[Stored], handlers: Sequence[Handler]) -> ProcessReport:
        events: list[_Event] = [(item, validate_event(item.payload, known_storable=True)) for item in stored]
        valid = [event for _, event in events if isinstance(event, ValidatedEvent)]
        tenant_id = self.tenant.id
        self.orders = await OrderBatch.load(
            self.connection, tenant_id=tenant_id, order_ids=filter(None, map(_order_reference, valid))
        )
        valid += await self._release_waiting(valid)
        await self.orders.load_refunds(
            self.connection, [event.data.refund_id for event in valid if isinstance(event.data, RefundData)]
        )
        self.customers = await CustomerBatch.load(
            self.connection, tenant_id=tenant_id, mentioned=self._people(valid), calendar=self.tenant.calendar
        )
        report = self._apply_all(events)
        self.caused.extend(self._updated_customers())
        # Before any customer row is written: a run being advanced takes its row, then its customer's.
        await hold_order_runs(
            self.connection,
            tenant_id,
            [e.order_id for e in self.caused if isinstance(e, OrderReversed | OrderRefunded)],
        )
        await self.customers.save(self.connection)
        await self.orders.save(self.connection)
        model = await load(self.connection, tenant_id=tenant_id)  # once, for metrics and segments
        await refresh_customers(
            self.connection, tenant_id=tenant_id, customer_ids=self.metrics_of, now=self.now, model=model
        )
        self.caused.extend(await self._refresh_segments(model))
        await mark(self.connection, tenant_id, self.now, self.marks)
        for handler in handlers:
            report.created.extend(await handler(self.caused, now=self.now))
        await self._settle_credit()
        return report

    async def _release_waiting(self, valid: list[ValidatedEvent]) -> list[ValidatedEvent]:
        """Take back the stored events waiting for orders this batch brings; return them validated."""
        new_orders = {
            awaited_order(event.data.external_id)
            for event in valid
            if isinstance(event.data, OrderData) and not self.orders.known(event.data.external_id)
        }
        if not new_orders:
            return []
        rows = await self.connection.execute_query_dict(_RELEASE, [self.tenant.id, sorted(new_orders)])
        rows.sort(key=lambda row: (row["occurred_at"], row["id"]))
        woken: list[ValidatedEvent] = []
        for row in rows:
            item = Stored.of(row)
            event = validate_event(item.payload, known_storable=True)
            self.released.setdefault(row["waiting_for"], []).append((item, event))
            self.was_waiting[item.id] = (row["error"], row["waiting_since"])
            if isinstance(event, ValidatedEvent):
                woken.append(event)
        return woken

    def _people(self, valid: list[ValidatedEvent]) -> list[CustomerIn]:
        country = self.tenant.country
        for event in valid:
            if isinstance(event.data, CustomerData):
                self.people[id(event)] = _customer_in(event.data, country)
            elif isinstance(event.data, OrderData):
                self.people[id(event)] = _order_customer(event.data, country)
        return [person for person in self.people.values() if person is not None]

    def _apply_all(self, events: list[_Event]) -> ProcessReport:
        """Apply the events in order; a released event right after the order it waited for."""
        report = ProcessReport()
        held: dict[str, list[tuple[_Event, NotYetKnown]]] = {}
        queue: deque[_Event] = deque(events)
        while queue:
            item, event = queue.popleft()
            try:
                step = self._apply_one(event)
            except NotYetKnown as wait:
                held.setdefault(wait.awaited, []).append(((item, event), wait))
                continue
            except DomainError as exc:
                self.marks.append((item.id, "failed", f"{exc.code}: {exc.message}", None, None, None))
                report.failed += 1
                continue
            self.marks.append((item.id, "processed", None, None, None, step.customer_id))
            report.processed += 1
            self.caused.extend(step.caused)
            if step.resolves:
                ready = self.released.pop(step.resolves, []) + [
                    pair for pair, _ in held.pop(step.resolves, [])
                ]
                ready.sort(key=lambda pair: (pair[0].occurred_at, pair[0].id))
                queue.extendleft(reversed(ready))
        for awaited, waits in held.items():
            for (item, _), reason in waits:
                self.marks.append(
                    (
                        item.id,
                        "waiting",
                        f"{reason.code}: {reason.message}{WAITS_SUFFIX}",
                        awaited,
                        self.now,
                        None,
                    )
                )
                report.waiting += 1
        for awaited, still in self.released.items():  # their order's event failed: they wait on
            for item, _ in still:
                earlier, since = self.was_waiting[item.id]
                self.marks.append((item.id, "waiting", earlier, awaited, since, None))
                report.waiting += 1
        return report

    def _apply_one(self, event: ValidatedEvent | EventRejection) -> _Step:
        if not isinstance(event, ValidatedEvent):
            raise DomainError("INVALID_EVENT", event.reason)
        data, occurred_at, tenant_id = event.data, event.event.occurred_at, self.tenant.id
        if isinstance(data, CustomerData):
            person = self.people[id(event)]
            assert person is not None  # a customer event always describes one
            row, created = self.customers.upsert(person, now=self.now)
            self._saw(row.id, occurred_at)
            return _Step(
                [CustomerCreated(tenant_id, row.id, occurred_at)] if created else [], customer_id=row.id
            )
        if isinstance(data, OrderData):
            return self._apply_order(event, data, occurred_at)
        if isinstance(data, RefundData):
            return self._apply_refund(data, occurred_at)
        if isinstance(data, PaymentData):
            paid = self.orders.record_payment(data, occurred_at=occurred_at)
            return _Step(customer_id=paid.customer_id)
        raise DomainError("UNSUPPORTED_EVENT", f"No processing for {event.type}.")

    def _apply_order(self, event: ValidatedEvent, data: OrderData, occurred_at: datetime) -> _Step:
        tenant_id = self.tenant.id
        if data.currency != self.tenant.currency:
            raise DomainError(
                "CURRENCY_MISMATCH",
                f"The order is in {data.currency} but the store's currency is {self.tenant.currency}.",
                field="data.currency",
            )
        order_in = OrderInput.of(data)  # every amount checked before anything changes
        caused: list[DomainEvent] = []
        customer_id = None
        person = self.people[id(event)]
        if person is not None:
            customer, created = self.customers.upsert(person, now=self.now)
            customer_id = customer.id
            self._saw(customer.id, occurred_at)
            if created:
                caused.append(CustomerCreated(tenant_id, customer.id, occurred_at))
        before = self.orders.orders.get(data.external_id)
        if before is not None and before.customer_id:
            self.metrics_of.add(before.customer_id)
        change = self.orders.apply_order(order_in, customer_id=customer_id, occurred_at=occurred_at)
        order = change.order
        if order.customer_id:
            self.metrics_of.add(order.customer_id)
        if change.reversal_reason:
            self.credit.setdefault(order.external_id, []).append(change.reversal_reason)
        elif order.credit_used > 0 and not change.stale:
            self.credit.setdefault(order.external_id, []).append(None)
        if change.previous_status is None and not change.stale:
            caused.append(OrderCreated(tenant_id, order.id, order.customer_id, occurred_at))
        if change.became_completed:
            caused.append(OrderCompleted(tenant_id, order.id, order.customer_id, occurred_at))
        if change.reversal_reason:
            caused.append(
                OrderReversed(tenant_id, order.id, order.customer_id, change.reversal_reason, occurred_at)
            )
        # A new order may have refunds and payments waiting for it.
        resolves = awaited_order(data.external_id) if change.previous_status is None else None
        return _Step(caused, resolves, order.customer_id)

    def _apply_refund(self, data: RefundData, occurred_at: datetime) -> _Step:
        repeated = data.refund_id in self.orders.known_refunds
        order, fully_refunded = self.orders.record_refund(data, occurred_at=occurred_at)
        if order.customer_id:
            self.metrics_of.add(order.customer_id)
        if repeated:
            return _Step(customer_id=order.customer_id)
        amount = self.orders.refunds[data.refund_id][2]
        caused: list[DomainEvent] = [
            OrderRefunded(
                self.tenant.id,
                order.id,
                order.customer_id,
                data.refund_id,
                amount,
                fully_refunded,
                occurred_at,
            )
        ]
        if fully_refunded:
            self.credit.setdefault(order.external_id, []).append("refunded")
            caused.append(OrderReversed(self.tenant.id, order.id, order.customer_id, "refunded", occurred_at))
        return _Step(caused, customer_id=order.customer_id)

    def _saw(self, customer_id: UUID, occurred_at: datetime) -> None:
        earlier = self.seen.get(customer_id)
        if earlier is None or occurred_at > earlier:
            self.seen[customer_id] = occurred_at

    def _updated_customers(self) -> list[DomainEvent]:
        """``customer.updated`` for each known customer whose row the events changed (new customers
        are announced as created instead)."""
        created = {event.customer_id for event in self.caused if isinstance(event, CustomerCreated)}
        changed = sorted(self.customers.touched() - created)
        return [
            CustomerUpdated(self.tenant.id, customer, self.seen.get(customer, self.now))
            for customer in changed
        ]

    async def _refresh_segments(self, model: StoreModel) -> list[DomainEvent]:
        """Reconsider the segments of the customers this batch touched; announce who entered and left."""
        touched = self.metrics_of | self.customers.touched()
        changes = await refresh_segments(
            tenant_id=self.tenant.id,
            now=self.now,
            customer_ids=sorted(touched),
            model=model,
            timezone=self.tenant.timezone,
        )
        return announced(self.tenant.id, changes, at=self.now)

    async def _settle_credit(self) -> None:
        """Capture or give back the credit of the orders whose events say so, once per order, after
        the handlers have locked the reversed orders' automation runs."""
        await settle_orders(tenant_id=self.tenant.id, actions=self.credit, now=self.now)


def _order_reference(event: ValidatedEvent) -> str | None:
    """The external id of the order an event is about, if any."""
    data = event.data
    if isinstance(data, OrderData):
        return data.external_id
    if isinstance(data, RefundData | PaymentData):
        return data.order_external_id
    return None


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
