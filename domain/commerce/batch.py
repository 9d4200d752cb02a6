"""Orders, refunds and payments for a batch of events: loaded once, applied in memory, written in bulk.

The rules are the ones a store's history needs, applied event by event in memory: an order event
older than the order's last applied one changes nothing (stale); a refund or payment for an order not
received yet waits for it (``NotYetKnown``); a refund is recorded once per store refund id and never
takes back more than the order's total. :meth:`OrderBatch.save` then writes everything the batch
changed with one statement per table, whatever the batch size and however large the store.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from datetime import datetime
from functools import lru_cache
from hashlib import blake2b
from typing import Any
from uuid import UUID, uuid4

from tortoise.backends.base.client import BaseDBAsyncClient

from domain.bulk import columns
from domain.commerce.money import from_minor, to_minor
from domain.commerce.service import REVERSING_STATUSES, awaited_order
from domain.errors import DomainError, NotYetKnown
from domain.events.domain_events import ReversalReason
from domain.events.schema import OrderData, PaymentData, RefundData


@dataclass
class OrderRow:
    """One order's columns as the batch leaves them. Amounts in minor units of ``currency``."""

    id: UUID
    external_id: str
    customer_id: UUID | None
    number: str
    status: str
    currency: str
    total: int
    subtotal: int
    discount_total: int
    shipping_total: int
    tax_total: int
    refunded_total: int
    credit_used: int
    coupon_codes: Any
    billing: Any
    placed_at: datetime
    completed_at: datetime | None
    source_updated_at: datetime
    lines_digest: str


_COLUMNS = tuple(column.name for column in fields(OrderRow))
_JSON = ("coupon_codes", "billing")
_TYPES = {
    "id": "uuid",
    "external_id": "text",
    "customer_id": "uuid",
    "number": "text",
    "status": "text",
    "currency": "text",
    "total": "bigint",
    "subtotal": "bigint",
    "discount_total": "bigint",
    "shipping_total": "bigint",
    "tax_total": "bigint",
    "refunded_total": "bigint",
    "credit_used": "bigint",
    "coupon_codes": "text",
    "billing": "text",
    "placed_at": "timestamptz",
    "completed_at": "timestamptz",
    "source_updated_at": "timestamptz",
    "lines_digest": "text",
}

_LOAD_ORDERS = f"""
SELECT {", ".join(_COLUMNS)} FROM orders WHERE tenant_id = $1 AND external_id = ANY($2::text[])
"""
_LOAD_REFUNDS = "SELECT external_id FROM refunds WHERE tenant_id = $1 AND external_id = ANY($2::text[])"


def _value(name: str) -> str:
    return f"u.{name}::jsonb" if name in _JSON else f"u.{name}"


_UPSERT_ORDERS = f"""
INSERT INTO orders (tenant_id, {", ".join(_COLUMNS)}, created_at, updated_at)
SELECT $1, {", ".join(_value(name) for name in _COLUMNS)}, now(), now()
FROM unnest({", ".join(f"${i + 2}::{_TYPES[name]}[]" for i, name in enumerate(_COLUMNS))})
    AS u({", ".join(_COLUMNS)})
ON CONFLICT (tenant_id, external_id) DO UPDATE SET
    {", ".join(f"{name} = EXCLUDED.{name}" for name in _COLUMNS if name not in ("id", "external_id"))},
    updated_at = now()
"""
_DELETE_ITEMS = "DELETE FROM order_items WHERE tenant_id = $1 AND order_id = ANY($2::uuid[])"
_INSERT_ITEMS = """
INSERT INTO order_items (id, tenant_id, order_id, product_id, name, sku, quantity, total, category_ids)
SELECT gen_random_uuid(), $1, u.order_id, u.product_id, u.name, u.sku, u.quantity, u.total,
    u.category_ids::jsonb
FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::int[], $7::bigint[], $8::text[])
    AS u(order_id, product_id, name, sku, quantity, total, category_ids)
"""
_INSERT_REFUNDS = """
INSERT INTO refunds (id, tenant_id, external_id, order_id, amount, reason, refunded_at, created_at)
SELECT gen_random_uuid(), $1, u.external_id, u.order_id, u.amount, u.reason, u.refunded_at, now()
FROM unnest($2::text[], $3::uuid[], $4::bigint[], $5::text[], $6::timestamptz[])
    AS u(external_id, order_id, amount, reason, refunded_at)
ON CONFLICT DO NOTHING
"""
_INSERT_PAYMENTS = """
INSERT INTO payments (id, tenant_id, external_id, order_id, amount, currency, method, paid_at, created_at)
SELECT gen_random_uuid(), $1, u.external_id, u.order_id, u.amount, u.currency, u.method, u.paid_at, now()
FROM unnest($2::text[], $3::uuid[], $4::bigint[], $5::text[], $6::text[], $7::timestamptz[])
    AS u(external_id, order_id, amount, currency, method, paid_at)
ON CONFLICT DO NOTHING
"""


@dataclass(frozen=True)
class OrderInput:
    """An order event's figures in minor units, computed before anything changes (it may fail)."""

    data: OrderData
    total: int
    subtotal: int
    discount_total: int
    shipping_total: int
    tax_total: int
    credit_used: int | None
    items: tuple[tuple[str, str, str, int, int, str], ...]
    lines_digest: str

    @classmethod
    def of(cls, data: OrderData) -> OrderInput:
        currency = data.currency
        items = tuple(
            (
                item.product_id,
                item.name,
                item.sku,
                item.quantity,
                to_minor(item.total, currency, field="items.total"),
                _categories(tuple(item.category_ids)),
            )
            for item in data.items
        )
        return cls(
            data=data,
            total=to_minor(data.total, currency, field="total"),
            subtotal=to_minor(data.subtotal, currency, field="subtotal"),
            discount_total=to_minor(data.discount_total, currency, field="discount_total"),
            shipping_total=to_minor(data.shipping_total, currency, field="shipping_total"),
            tax_total=to_minor(data.tax_total, currency, field="tax_total"),
            # Rounded down like the hold it captures, so a fraction never takes one unit more than was held.
            credit_used=None
            if data.credit_used is None
            else to_minor(data.credit_used, currency, field="credit_used", round_down=True),
            items=items,
            lines_digest=blake2b(repr(items).encode(), digest_size=16).hexdigest(),
        )


@dataclass(frozen=True)
class OrderChange:
    """What one order event did: the order after it, its status before (None: it is new) and whether
    the event was older than what was already applied (then nothing changed)."""

    order: OrderRow
    previous_status: str | None
    stale: bool

    @property
    def became_completed(self) -> bool:
        return not self.stale and self.order.status == "completed" and self.previous_status != "completed"

    @property
    def reversal_reason(self) -> ReversalReason | None:
        """``cancelled``/``refunded``/``failed`` when the order has just moved into that status."""
        if self.stale or self.previous_status is None or self.previous_status == self.order.status:
            return None
        return REVERSING_STATUSES.get(self.order.status)


@dataclass
class OrderBatch:
    """The orders one batch of events refers to, and the refunds and payments it adds."""

    tenant_id: UUID
    orders: dict[str, OrderRow]
    known_refunds: set[str] = field(default_factory=set)
    changed: dict[str, OrderRow] = field(default_factory=dict)
    items: dict[UUID, tuple[tuple[str, str, str, int, int, str], ...]] = field(default_factory=dict)
    refunds: dict[str, tuple[str, UUID, int, str, datetime]] = field(default_factory=dict)
    payments: dict[str, tuple[str, UUID, int, str, str, datetime]] = field(default_factory=dict)
    new: set[UUID] = field(default_factory=set)
    """Orders this batch creates: they have no lines to replace."""

    @classmethod
    async def load(
        cls,
        connection: BaseDBAsyncClient,
        *,
        tenant_id: UUID,
        order_ids: Iterable[str],
    ) -> OrderBatch:
        """The stored orders with these external ids (one statement)."""
        wanted = sorted(set(order_ids))
        records = await connection.execute_query_dict(_LOAD_ORDERS, [tenant_id, wanted]) if wanted else []
        return cls(tenant_id, {record["external_id"]: OrderRow(**_decoded(record)) for record in records})

    async def load_refunds(self, connection: BaseDBAsyncClient, refund_ids: Iterable[str]) -> None:
        """Learn which of these store refunds are recorded already (one statement)."""
        wanted = sorted(set(refund_ids))
        if wanted:
            records = await connection.execute_query_dict(_LOAD_REFUNDS, [self.tenant_id, wanted])
            self.known_refunds |= {record["external_id"] for record in records}

    def known(self, external_id: str) -> bool:
        return external_id in self.orders

    def apply_order(
        self, order_in: OrderInput, *, customer_id: UUID | None, occurred_at: datetime
    ) -> OrderChange:
        """Create or update the order from the store's full description of it (``order_in``)."""
        data = order_in.data
        row = self.orders.get(data.external_id)
        if row is not None and row.source_updated_at > occurred_at:
            return OrderChange(order=row, previous_status=row.status, stale=True)
        previous_status = row.status if row else None
        if row is None:
            row = OrderRow(
                id=uuid4(),
                external_id=data.external_id,
                customer_id=None,
                number="",
                status="",
                currency=data.currency,
                total=0,
                subtotal=0,
                discount_total=0,
                shipping_total=0,
                tax_total=0,
                refunded_total=0,
                credit_used=0,
                coupon_codes=[],
                billing={},
                placed_at=occurred_at,
                completed_at=None,
                source_updated_at=occurred_at,
                lines_digest="",
            )
            self.orders[data.external_id] = row
            self.new.add(row.id)
        row.customer_id = customer_id or row.customer_id
        row.number = data.number or data.external_id
        row.status = data.status.value
        row.currency = data.currency
        row.total, row.subtotal = order_in.total, order_in.subtotal
        row.discount_total, row.shipping_total, row.tax_total = (
            order_in.discount_total,
            order_in.shipping_total,
            order_in.tax_total,
        )
        if order_in.credit_used is not None:
            row.credit_used = order_in.credit_used
        row.coupon_codes = list(data.coupon_codes)
        row.billing = data.billing.model_dump(mode="json", exclude_none=True) if data.billing else {}
        row.placed_at = data.created_at or (row.placed_at if previous_status else occurred_at)
        if row.status == "completed" and row.completed_at is None:
            row.completed_at = data.completed_at or occurred_at
        row.source_updated_at = occurred_at
        self.changed[data.external_id] = row
        if row.lines_digest != order_in.lines_digest:  # most updates repeat the lines: keep them
            row.lines_digest = order_in.lines_digest
            self.items[row.id] = order_in.items
        return OrderChange(order=row, previous_status=previous_status, stale=False)

    def record_refund(self, data: RefundData, *, occurred_at: datetime) -> tuple[OrderRow, bool]:
        """Record a refund once per store refund id; return the order and whether it is now fully
        refunded. One that would take back more than the order's total fails (``REFUND_EXCEEDS_ORDER``)."""
        order = self._order_of(data.order_external_id)
        if data.currency != order.currency:
            raise DomainError(
                "CURRENCY_MISMATCH", "The refund's currency differs from the order's.", field="data.currency"
            )
        if data.refund_id in self.known_refunds:
            return order, False
        amount = to_minor(data.amount, order.currency, field="amount")
        if order.refunded_total + amount > order.total:
            raise DomainError(
                "REFUND_EXCEEDS_ORDER",
                f"Refunds of order {order.external_id} would come to "
                f"{from_minor(order.refunded_total + amount, order.currency)} {order.currency}, more than "
                f"its total of {from_minor(order.total, order.currency)}.",
                field="data.amount",
            )
        self.known_refunds.add(data.refund_id)
        self.refunds[data.refund_id] = (data.refund_id, order.id, amount, data.reason or "", occurred_at)
        order.refunded_total += amount
        self.changed[order.external_id] = order
        return order, order.refunded_total >= order.total > 0

    def record_payment(self, data: PaymentData, *, occurred_at: datetime) -> OrderRow:
        """Record a payment once per gateway transaction id (the first report of it wins)."""
        order = self._order_of(data.order_external_id)
        amount = to_minor(data.amount, data.currency, field="amount")
        self.payments.setdefault(
            data.transaction_id,
            (data.transaction_id, order.id, amount, data.currency, data.method, data.paid_at or occurred_at),
        )
        return order

    async def save(self, connection: BaseDBAsyncClient) -> None:
        """Write what the batch changed: orders, their lines, refunds and payments, one statement each."""
        if self.changed:
            rows = list(self.changed.values())
            arrays = [
                [json.dumps(getattr(row, name), ensure_ascii=False) for row in rows]
                if name in _JSON
                else [getattr(row, name) for row in rows]
                for name in _COLUMNS
            ]
            await connection.execute_query(_UPSERT_ORDERS, [self.tenant_id, *arrays])
        replaced = [order_id for order_id in self.items if order_id not in self.new]
        if replaced:
            await connection.execute_query(_DELETE_ITEMS, [self.tenant_id, replaced])
        if self.items:
            lines = [(order_id, *line) for order_id, lines in self.items.items() for line in lines]
            if lines:
                await connection.execute_query(_INSERT_ITEMS, [self.tenant_id, *columns(lines, 7)])
        if self.refunds:
            await connection.execute_query(
                _INSERT_REFUNDS, [self.tenant_id, *columns(self.refunds.values(), 5)]
            )
        if self.payments:
            await connection.execute_query(
                _INSERT_PAYMENTS, [self.tenant_id, *columns(self.payments.values(), 6)]
            )

    def _order_of(self, external_id: str) -> OrderRow:
        order = self.orders.get(external_id)
        if order is None:
            raise NotYetKnown(
                "ORDER_UNKNOWN",
                f"Order {external_id} has not been received yet.",
                awaited=awaited_order(external_id),
                field="data.order_external_id",
            )
        return order


@lru_cache(maxsize=4096)
def _categories(category_ids: tuple[str, ...]) -> str:
    """A line's category ids as JSON (a store has few distinct sets; each is written once)."""
    return json.dumps(list(category_ids), ensure_ascii=False)


def _decoded(record: dict[str, Any]) -> dict[str, Any]:
    """A loaded order with its JSON columns as values (the driver hands jsonb over as text)."""
    for name in _JSON:
        if isinstance(record[name], str):
            record[name] = json.loads(record[name])
    return record
