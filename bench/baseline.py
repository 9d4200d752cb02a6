"""The yardsticks Revisit's processing and receiving are measured against, written by hand.

:func:`process_all` does what processing does to the tables — customers upserted by phone, orders
upserted with their lines replaced, refunds and payments recorded once, customer metrics recomputed,
events marked processed — as plain set-based SQL over raw asyncpg, batch by batch, with the least
Python that can read the events: no validation, no identity rules beyond the phone, no waiting, no
domain events. It is what "the speed of the machine" means for this work.

:func:`copy_events` stores events the fastest way PostgreSQL offers: one COPY.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

import asyncpg

_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")

_TAKE = """
SELECT id, payload::text FROM ingested_events
WHERE tenant_id = $1 AND status = 'pending' ORDER BY occurred_at, id LIMIT $2 FOR UPDATE SKIP LOCKED
"""
_CUSTOMERS = """
INSERT INTO customers
    (id, tenant_id, external_id, phone, first_name, last_name, city, tags, created_at, updated_at)
SELECT u.id, $1, u.external_id, u.phone, u.first_name, u.last_name, u.city, '[]'::jsonb, now(), now()
FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])
    AS u(id, external_id, phone, first_name, last_name, city)
ON CONFLICT (tenant_id, phone) DO UPDATE SET
    external_id = COALESCE(customers.external_id, EXCLUDED.external_id),
    first_name = EXCLUDED.first_name, last_name = EXCLUDED.last_name, city = EXCLUDED.city, updated_at = now()
RETURNING id, phone
"""
_ORDERS = """
INSERT INTO orders (id, tenant_id, external_id, customer_id, number, status, currency, total, subtotal,
    discount_total, shipping_total, tax_total, refunded_total, credit_used, coupon_codes, billing,
    placed_at, completed_at, source_updated_at, created_at, updated_at)
SELECT gen_random_uuid(), $1, u.external_id, u.customer_id, u.number, u.status, u.currency, u.total,
    u.subtotal, u.discount_total, u.shipping_total, u.tax_total, 0, 0, u.coupon_codes::jsonb,
    u.billing::jsonb, u.placed_at, u.completed_at, u.source_updated_at, now(), now()
FROM unnest($2::text[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::bigint[],
    $9::bigint[], $10::bigint[], $11::bigint[], $12::text[], $13::text[], $14::timestamptz[],
    $15::timestamptz[], $16::timestamptz[])
    AS u(external_id, customer_id, number, status, currency, total, subtotal, discount_total, shipping_total,
         tax_total, coupon_codes, billing, placed_at, completed_at, source_updated_at)
ON CONFLICT (tenant_id, external_id) DO UPDATE SET
    customer_id = COALESCE(EXCLUDED.customer_id, orders.customer_id), status = EXCLUDED.status,
    total = EXCLUDED.total, subtotal = EXCLUDED.subtotal, discount_total = EXCLUDED.discount_total,
    shipping_total = EXCLUDED.shipping_total, tax_total = EXCLUDED.tax_total,
    coupon_codes = EXCLUDED.coupon_codes, billing = EXCLUDED.billing,
    completed_at = COALESCE(orders.completed_at, EXCLUDED.completed_at),
    source_updated_at = EXCLUDED.source_updated_at, updated_at = now()
WHERE orders.source_updated_at <= EXCLUDED.source_updated_at
RETURNING id, external_id
"""
_DELETE_ITEMS = "DELETE FROM order_items WHERE tenant_id = $1 AND order_id = ANY($2::uuid[])"
_ITEMS = """
INSERT INTO order_items (id, tenant_id, order_id, product_id, name, sku, quantity, total, category_ids)
SELECT gen_random_uuid(), $1, o.id, u.product_id, u.name, u.sku, u.quantity, u.total, u.category_ids::jsonb
FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::int[], $7::bigint[], $8::text[])
    AS u(order_external_id, product_id, name, sku, quantity, total, category_ids)
JOIN orders AS o ON o.tenant_id = $1 AND o.external_id = u.order_external_id AND o.id = ANY($9::uuid[])
"""
_REFUNDS = """
WITH added AS (
    INSERT INTO refunds (id, tenant_id, external_id, order_id, amount, reason, refunded_at, created_at)
    SELECT gen_random_uuid(), $1, u.external_id, o.id, u.amount, u.reason, u.refunded_at, now()
    FROM unnest($2::text[], $3::text[], $4::bigint[], $5::text[], $6::timestamptz[])
        AS u(external_id, order_external_id, amount, reason, refunded_at)
    JOIN orders AS o ON o.tenant_id = $1 AND o.external_id = u.order_external_id
    ON CONFLICT DO NOTHING
    RETURNING order_id, amount
)
UPDATE orders AS o SET refunded_total = o.refunded_total + a.amount
FROM (SELECT order_id, sum(amount) AS amount FROM added GROUP BY order_id) AS a
WHERE o.tenant_id = $1 AND o.id = a.order_id
"""
_PAYMENTS = """
INSERT INTO payments (id, tenant_id, external_id, order_id, amount, currency, method, paid_at, created_at)
SELECT gen_random_uuid(), $1, u.external_id, o.id, u.amount, u.currency, u.method, u.paid_at, now()
FROM unnest($2::text[], $3::text[], $4::bigint[], $5::text[], $6::text[], $7::timestamptz[])
    AS u(external_id, order_external_id, amount, currency, method, paid_at)
JOIN orders AS o ON o.tenant_id = $1 AND o.external_id = u.order_external_id
ON CONFLICT DO NOTHING
"""
_METRICS = """
UPDATE customers AS c
SET orders_count = m.n, total_spent = COALESCE(m.spent, 0),
    first_order_at = m.first_at, last_order_at = m.last_at
FROM unnest($2::uuid[]) AS t(id)
CROSS JOIN LATERAL (
    SELECT count(*) AS n, sum(GREATEST(total - refunded_total, 0)) AS spent,
           min(placed_at) AS first_at, max(placed_at) AS last_at
    FROM orders
    WHERE tenant_id = $1 AND customer_id = t.id AND status IN ('processing', 'completed', 'on-hold')
) AS m
WHERE c.tenant_id = $1 AND c.id = t.id
"""
_DONE = """
UPDATE ingested_events SET status = 'processed', attempts = attempts + 1, processed_at = now()
WHERE id = ANY($1::bigint[])
"""


def e164(raw: str | None) -> str | None:
    """Iranian mobile numbers as the synthetic store spells them, in E.164 (the baseline's only rule)."""
    digits = "".join(ch for ch in (raw or "").translate(_DIGITS) if ch.isdigit()).lstrip("0")
    if digits.startswith("98") and len(digits) == 12:
        digits = digits[2:]
    return f"+98{digits}" if len(digits) == 10 else None


async def process_all(connection: asyncpg.Connection, tenant_id: UUID, *, batch: int = 500) -> int:
    """Process the tenant's pending events batch by batch; return how many."""
    done = 0
    while True:
        async with connection.transaction():
            rows = await connection.fetch(_TAKE, tenant_id, batch)
            if not rows:
                return done
            await _apply(connection, tenant_id, [json.loads(row[1]) for row in rows])
            await connection.execute(_DONE, [row[0] for row in rows])
        done += len(rows)


async def _apply(connection: asyncpg.Connection, tenant_id: UUID, events: Sequence[dict[str, Any]]) -> None:
    people: dict[str, tuple[Any, ...]] = {}
    orders: dict[str, dict[str, Any]] = {}
    refunds, payments = [], []
    for event in events:
        data, kind = event["data"], event["type"]
        if kind.startswith("customer."):
            phone = e164(data.get("phone"))
            if phone:
                people[phone] = (
                    uuid4(),
                    data.get("external_id"),
                    phone,
                    data.get("first_name", ""),
                    data.get("last_name", ""),
                    data.get("city", ""),
                )
        elif kind.startswith("order.created") or kind == "order.updated":
            billing = data.get("billing") or {}
            phone = e164(billing.get("phone"))
            if phone and phone not in people:
                people[phone] = (
                    uuid4(),
                    (data.get("customer") or {}).get("external_id"),
                    phone,
                    billing.get("first_name", ""),
                    billing.get("last_name", ""),
                    billing.get("city", ""),
                )
            orders[data["external_id"]] = {**data, "phone": phone, "at": event["occurred_at"]}
        elif kind == "order.refunded":
            refunds.append(
                (
                    data["refund_id"],
                    data["order_external_id"],
                    int(data["amount"]),
                    data.get("reason", ""),
                    datetime.fromisoformat(event["occurred_at"]),
                )
            )
        elif kind == "payment.completed":
            payments.append(
                (
                    data["transaction_id"],
                    data["order_external_id"],
                    int(data["amount"]),
                    data["currency"],
                    data.get("method", ""),
                    datetime.fromisoformat(data.get("paid_at") or event["occurred_at"]),
                )
            )
    ids: dict[str, UUID] = {}
    if people:
        rows = await connection.fetch(_CUSTOMERS, tenant_id, *zip(*people.values(), strict=True))
        ids = {row["phone"]: row["id"] for row in rows}
    changed: list[UUID] = []
    if orders:
        values = [
            (
                o["external_id"],
                ids.get(o["phone"]),
                o.get("number") or o["external_id"],
                o["status"],
                o["currency"],
                int(o["total"]),
                int(o.get("subtotal", 0)),
                int(o.get("discount_total", 0)),
                int(o.get("shipping_total", 0)),
                int(o.get("tax_total", 0)),
                json.dumps(o.get("coupon_codes", []), ensure_ascii=False),
                json.dumps(o.get("billing") or {}, ensure_ascii=False),
                datetime.fromisoformat(o.get("created_at") or o["at"]),
                datetime.fromisoformat(o["at"]) if o["status"] == "completed" else None,
                datetime.fromisoformat(o["at"]),
            )
            for o in orders.values()
        ]
        rows = await connection.fetch(_ORDERS, tenant_id, *zip(*values, strict=True))
        changed = [row["id"] for row in rows]
        written = {row["external_id"] for row in rows}
        await connection.execute(_DELETE_ITEMS, tenant_id, changed)
        items = [
            (
                o["external_id"],
                i["product_id"],
                i.get("name", ""),
                i.get("sku", ""),
                int(i.get("quantity", 1)),
                int(i["total"]),
                json.dumps(i.get("category_ids", []), ensure_ascii=False),
            )
            for o in orders.values()
            if o["external_id"] in written
            for i in o.get("items", [])
        ]
        if items:
            await connection.execute(_ITEMS, tenant_id, *zip(*items, strict=True), changed)
    if refunds:
        await connection.execute(_REFUNDS, tenant_id, *zip(*refunds, strict=True))
    if payments:
        await connection.execute(_PAYMENTS, tenant_id, *zip(*payments, strict=True))
    if ids:
        await connection.execute(_METRICS, tenant_id, list(ids.values()))


async def copy_events(
    connection: asyncpg.Connection, tenant_id: UUID, source: str, events: Sequence[dict[str, Any]]
) -> int:
    """Store events as pending with one COPY (the receiving baseline). Returns how many."""
    records = [
        (
            tenant_id,
            source,
            event["id"],
            event["type"],
            datetime.fromisoformat(event["occurred_at"]),
            json.dumps(event, ensure_ascii=False),
            "pending",
            0,
            datetime.now().astimezone(),
        )
        for event in events
    ]
    await connection.copy_records_to_table(
        "ingested_events",
        records=records,
        columns=[
            "tenant_id",
            "source",
            "event_id",
            "type",
            "occurred_at",
            "payload",
            "status",
            "attempts",
            "received_at",
        ],
    )
    return len(records)
