"""Segments benchmark: customer intelligence and segment refreshes on a large store, beside raw SQL.

    uv run python -m bench.bench_segments [--sizes 100000:500000,1000000:5000000] [--seed 7]

On each store of :mod:`bench.scale_store` (written first if the database does not hold it yet; the
store is kept, so a second run reuses it), each figure beside a hand-written baseline in the same run:

- **rebuild**: every customer's metrics recomputed from the orders
  (``domain.intelligence.metrics.rebuild_customer_metrics``) beside one plain
  ``SELECT customer_id, count(*), sum(total) … GROUP BY customer_id`` over the store's orders;
- **full refresh** (``domain.intelligence.refresh.refresh_store``): the store's model, RFM and stages,
  the built-in segments and the custom ones below, first at the history's end (every membership is
  new) and again a day later (the nightly refresh), beside one hand-written ``SELECT count(*)`` per
  segment; "members" says whether the segments' sizes equal those counts;
- **incremental refresh**: 500 customers each place an order, their metrics are refreshed and every
  segment refreshed for those ids (``domain.segments.refresh.refresh_segments(customer_ids=…)``),
  beside the same counts restricted to those ids; rolled back afterwards, so the store stays as it was;
- **preview** of a new definition, a count and a 20-customer sample (``domain.segments.preview``),
  beside the hand-written count and sample.

Targets: the full refresh in at most 10 s, a preview in at most 1 s. When one is missed the plan of
the slowest statement is printed (EXPLAIN ANALYZE). The store's segments and model are reset at the
start of each run, and the store's rows are read once before anything is timed (the first read of
freshly copied rows writes their hint bits). Uses the database of :mod:`bench.scale_store`; prints
Markdown for bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform
import statistics
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar
from uuid import UUID

import asyncpg
from tortoise.transactions import in_transaction

from bench import scale_store
from domain.customers.service import PURCHASE_STATUSES
from domain.intelligence.metrics import rebuild_customer_metrics, refresh_customers
from domain.intelligence.refresh import refresh_store
from domain.intelligence.store import load
from domain.segments import service as segments
from domain.segments.models import Segment
from domain.segments.preview import preview
from domain.segments.refresh import refresh_segments
from revisit import database

T = TypeVar("T")
REFRESH_TARGET = 10.0
PREVIEW_TARGET = 1.0
TOUCHED = 500

# One custom segment per kind of condition. "in_segment" names the first one (filled in at creation).
CUSTOM: tuple[tuple[str, dict[str, Any]], ...] = (
    ("Three orders or more", {"field": "orders_count", "op": "gte", "value": 3}),
    (
        "RFM champions",
        {
            "all": [
                {"field": "recency_score", "op": "gte", "value": 4},
                {"field": "frequency_score", "op": "gte", "value": 4},
                {"field": "monetary_score", "op": "gte", "value": 4},
            ]
        },
    ),
    (
        "Tehran and Shiraz, VIP or wholesale",
        {
            "all": [
                {"field": "city", "op": "in", "value": ["تهران", "شیراز"]},
                {"field": "tags", "op": "has_any", "value": ["vip", "wholesale"]},
            ]
        },
    ),
    ("High churn risk", {"field": "churn_risk", "op": "gte", "value": 0.7}),
    ("No order in 90 days", {"field": "days_since_last_order", "op": "gte", "value": 90}),
    ("p-12 twice in 90 days", {"purchased": {"product": "p-12", "at_least": 2, "within_days": 90}}),
    ("Bought in c3", {"purchased": {"category": "c3", "at_least": 1}}),
    ("Spent 50M in 30 days", {"spent": {"at_least": 50_000_000, "within_days": 30}}),
    ("Coupon in 60 days", {"used_coupon": {"within_days": 60}}),
    ("Texted in 30 days", {"received_messages": {"at_least": 1, "within_days": 30}}),
    (
        "Repeat buyers of Mashhad or without VIP, no e-mail",
        {
            "all": [
                {"field": "orders_count", "op": "gte", "value": 2},
                {
                    "any": [
                        {"field": "city", "op": "eq", "value": "مشهد"},
                        {"not": {"field": "tags", "op": "has_any", "value": ["vip"]}},
                    ]
                },
                {"not": {"field": "has_email", "op": "is", "value": True}},
            ]
        },
    ),
    (
        "Three orders or more, consenting",
        {"all": [{"in_segment": "first"}, {"field": "marketing_consent", "op": "is", "value": True}]},
    ),
)

# The same conditions by hand: a predicate on ``customers AS c`` ($1 tenant, $2 now, $3 purchase
# statuses), and for purchase facts a whole-store count written as a grouped query over the facts.
PURCHASED = "o.tenant_id = $1 AND o.status = ANY($3::text[]) AND o.customer_id IS NOT NULL"
LINES = "orders AS o JOIN order_items AS i ON i.tenant_id = o.tenant_id AND i.order_id = o.id"
BY_HAND: dict[str, tuple[str, str | None]] = {
    "Three orders or more": ("c.orders_count >= 3", None),
    "RFM champions": ("c.recency_score >= 4 AND c.frequency_score >= 4 AND c.monetary_score >= 4", None),
    "Tehran and Shiraz, VIP or wholesale": (
        "c.city IN ('تهران', 'شیراز') AND c.tags ?| array['vip', 'wholesale']",
        None,
    ),
    # BG/NBD P(alive) <= 0.3 with the store's fitted parameters, filled in by ``by_hand``
    "High churn risk": (
        "c.orders_count > 0 AND 1.0 / (1.0 + CASE WHEN c.orders_count > 1"
        " THEN ({a} / ({b} + c.orders_count - 2))"
        " * power(({alpha} + extract(epoch FROM $2::timestamptz - c.first_order_at) / 86400)"
        " / ({alpha} + extract(epoch FROM c.last_order_at - c.first_order_at) / 86400),"
        " {r} + c.orders_count - 1) ELSE 0 END) <= 0.3",
        None,
    ),
    "No order in 90 days": ("c.last_order_at <= $2::timestamptz - interval '90 days'", None),
    "p-12 twice in 90 days": (
        f"(SELECT count(DISTINCT o.id) FROM {LINES} WHERE {PURCHASED} AND o.customer_id = c.id"
        " AND i.product_id = 'p-12' AND o.placed_at >= $2::timestamptz - interval '90 days') >= 2",
        f"SELECT count(*) FROM (SELECT o.customer_id FROM {LINES} WHERE {PURCHASED} AND i.product_id = 'p-12'"
        " AND o.placed_at >= $2::timestamptz - interval '90 days'"
        " GROUP BY 1 HAVING count(DISTINCT o.id) >= 2) AS x",
    ),
    "Bought in c3": (
        f"EXISTS (SELECT 1 FROM {LINES} WHERE {PURCHASED} AND o.customer_id = c.id"
        " AND i.category_ids ? 'c3')",
        f"SELECT count(DISTINCT o.customer_id) FROM {LINES} WHERE {PURCHASED} AND i.category_ids ? 'c3'",
    ),
    "Spent 50M in 30 days": (
        f"(SELECT sum(GREATEST(o.total - o.refunded_total, 0)) FROM orders AS o WHERE {PURCHASED}"
        " AND o.customer_id = c.id AND o.placed_at >= $2::timestamptz - interval '30 days') >= 50000000",
        f"SELECT count(*) FROM (SELECT o.customer_id FROM orders AS o WHERE {PURCHASED}"
        " AND o.placed_at >= $2::timestamptz - interval '30 days' GROUP BY 1"
        " HAVING sum(GREATEST(o.total - o.refunded_total, 0)) >= 50000000) AS x",
    ),
    "Coupon in 60 days": (
        f"EXISTS (SELECT 1 FROM orders AS o WHERE {PURCHASED} AND o.customer_id = c.id"
        " AND o.placed_at >= $2::timestamptz - interval '60 days' AND o.coupon_codes <> '[]')",
        f"SELECT count(DISTINCT o.customer_id) FROM orders AS o WHERE {PURCHASED}"
        " AND o.placed_at >= $2::timestamptz - interval '60 days' AND o.coupon_codes <> '[]'",
    ),
    "Texted in 30 days": (
        "EXISTS (SELECT 1 FROM outbound_messages AS m WHERE m.tenant_id = $1 AND m.customer_id = c.id"
        " AND m.status IN ('sent', 'delivered') AND m.created_at >= $2::timestamptz - interval '30 days')",
        "SELECT count(DISTINCT m.customer_id) FROM outbound_messages AS m WHERE m.tenant_id = $1"
        " AND m.status IN ('sent', 'delivered') AND m.created_at >= $2::timestamptz - interval '30 days'",
    ),
    "Repeat buyers of Mashhad or without VIP, no e-mail": (
        "c.orders_count >= 2 AND (c.city = 'مشهد' OR NOT c.tags ?| array['vip']) AND c.email IS NULL",
        None,
    ),
    "Three orders or more, consenting": ("c.orders_count >= 3 AND c.marketing_consent", None),
}

PREVIEW = {
    "version": 1,
    "match": {
        "all": [
            {"field": "orders_count", "op": "gte", "value": 2},
            {
                "any": [
                    {"field": "city", "op": "in", "value": ["اصفهان", "تبریز"]},
                    {"purchased": {"category": "c7", "at_least": 1, "within_days": 180}},
                ]
            },
            {"not": {"field": "tags", "op": "has_any", "value": ["student"]}},
        ]
    },
}
PREVIEW_BY_HAND = (
    "c.orders_count >= 2 AND (c.city IN ('اصفهان', 'تبریز') OR c.id IN (SELECT o.customer_id FROM "
    f"{LINES} WHERE {PURCHASED} AND i.category_ids ? 'c7'"
    " AND o.placed_at >= $2::timestamptz - interval '180 days'))"
    " AND NOT c.tags ?| array['student']"
)


def builtin_by_hand(key: str, cycle: int, loyal: int) -> str:
    """A built-in segment's condition by hand, with the store's cycle and loyal order count."""
    within = "c.last_order_at > $2::timestamptz - make_interval(days => {})".format
    before = "c.last_order_at <= $2::timestamptz - make_interval(days => {})".format
    return {
        "new": f"c.orders_count = 1 AND {within(cycle + 1)}",
        "active": f"c.orders_count BETWEEN 2 AND {loyal - 1} AND {within(cycle + 1)}",
        "loyal": f"c.orders_count >= {loyal} AND {within(cycle + 1)}",
        "vip": f"c.monetary_score = 5 AND {within(3 * cycle + 1)}",
        "at_risk": f"{before(cycle + 1)} AND {within(2 * cycle + 1)}",
        "about_to_lose": f"{before(2 * cycle + 1)} AND {within(3 * cycle + 1)}",
        "churned": f"{before(3 * cycle + 1)}",
    }[key]


@dataclass
class Statements:
    """Every statement the Revisit side sent while recording, with its time and arguments."""

    seen: list[tuple[float, str, tuple[Any, ...]]] = field(default_factory=list)

    def slowest(self) -> tuple[float, str, tuple[Any, ...]]:
        return max(self.seen, key=lambda item: item[0])


@asynccontextmanager
async def recording() -> AsyncIterator[Statements]:
    """Time each statement sent through asyncpg (Tortoise's driver) while the block runs."""
    statements = Statements()
    originals = {name: getattr(asyncpg.Connection, name) for name in ("execute", "fetch", "fetchrow")}

    def timed(original: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        async def wrapper(self: asyncpg.Connection, query: str, *args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return await original(self, query, *args, **kwargs)
            finally:
                statements.seen.append((time.perf_counter() - started, query, args))

        return wrapper

    for name, original in originals.items():
        setattr(asyncpg.Connection, name, timed(original))
    try:
        yield statements
    finally:
        for name, original in originals.items():
            setattr(asyncpg.Connection, name, original)


async def timed(work: Awaitable[T]) -> tuple[float, T]:
    started = time.perf_counter()
    result = await work
    return time.perf_counter() - started, result


@dataclass
class Run:
    """One store's measurements, as Markdown lines."""

    connection: asyncpg.Connection
    tenant_id: UUID
    now: datetime
    lines: list[str] = field(default_factory=list)
    plans: list[str] = field(default_factory=list)

    def row(self, measure: str, ours: float, theirs: float, note: str = "") -> None:
        self.lines.append(f"| {measure} | {ours:.2f} s | {theirs:.2f} s | {ours / theirs:.1f} | {note} |")

    async def count(self, predicate: str, now: datetime, ids: Sequence[UUID] | None = None) -> int:
        sql = f"SELECT count(*) FROM customers AS c WHERE c.tenant_id = $1 AND {predicate}"
        if ids is not None:
            sql += " AND c.id = ANY($4::uuid[])"
        return await self.scalar(sql, now, ids)

    async def scalar(self, sql: str, now: datetime, ids: Sequence[UUID] | None = None) -> int:
        """``sql``'s value, given $1 tenant, $2 now, $3 purchase statuses and $4 ids whether it names
        them or not (the unused common table expression types them and is never run)."""
        typed = "WITH arguments AS (SELECT $1::uuid, $2::timestamptz, $3::text[], $4::uuid[]) "
        value: int = await self.connection.fetchval(
            typed + sql, self.tenant_id, now, list(PURCHASE_STATUSES), list(ids or ())
        )
        return value

    async def by_hand(self, now: datetime, ids: Sequence[UUID] | None = None) -> tuple[float, dict[str, int]]:
        """Every segment's count by hand (restricted to ``ids`` when given), and the seconds it took."""
        model = await self.connection.fetchrow(
            "SELECT purchase_cycle_days, frequency_breaks, model_r, model_alpha, model_a, model_b"
            " FROM store_intelligence WHERE tenant_id = $1",
            self.tenant_id,
        )
        fitted = {name: float(model[f"model_{name}"]) for name in ("r", "alpha", "a", "b")}
        cycle, breaks = round(model["purchase_cycle_days"]), json.loads(model["frequency_breaks"])
        loyal = max(3, math.ceil(breaks[3])) if len(breaks) == 4 else 3  # as StoreModel.loyal_orders
        segments_here = await Segment.filter(tenant_id=self.tenant_id).order_by("created_at", "id")
        counts: dict[str, int] = {}
        started = time.perf_counter()
        for segment in segments_here:
            if segment.kind == "builtin":
                predicate, whole = builtin_by_hand(segment.builtin_key or "", cycle, loyal), None
            else:
                predicate, whole = BY_HAND[segment.name]
                predicate = predicate.format(**fitted) if "{alpha}" in predicate else predicate
            if whole is not None and ids is None:
                counts[segment.name] = await self.scalar(whole, now)
            else:
                counts[segment.name] = await self.count(predicate, now, ids)
        return time.perf_counter() - started, counts

    async def members(self, ids: Sequence[UUID] | None = None) -> dict[str, int]:
        """Each segment's open stays (among ``ids`` when given), by segment name."""
        rows = await self.connection.fetch(
            "SELECT s.name, count(m.id) AS members FROM segments AS s"
            " LEFT JOIN segment_memberships AS m ON m.tenant_id = s.tenant_id AND m.segment_id = s.id"
            " AND m.left_at IS NULL AND ($2::uuid[] IS NULL OR m.customer_id = ANY($2::uuid[]))"
            " WHERE s.tenant_id = $1 GROUP BY s.name",
            self.tenant_id,
            list(ids) if ids is not None else None,
        )
        return {row["name"]: row["members"] for row in rows}

    @staticmethod
    def alike(ours: dict[str, int], theirs: dict[str, int]) -> str:
        """``members alike``, or the segments whose members differ from the count by hand (Revisit first)."""
        differences = [
            f"{name} {ours.get(name)} vs {count}" for name, count in theirs.items() if ours.get(name) != count
        ]
        return "members alike" if not differences else "members differ: " + "; ".join(differences)

    async def explain(self, statements: Statements, what: str) -> None:
        """EXPLAIN ANALYZE of the slowest statement recorded, in a transaction rolled back."""
        seconds, query, arguments = statements.slowest()
        text = " ".join(query.split())
        if text.upper().startswith("CREATE TEMP"):
            text = "SELECT " + text.split(" AS SELECT ", 1)[1]  # the pass itself, its result not kept
        elif "segment_pass_" in text:
            return  # it reads a temporary table of the refresh's own transaction, gone since
        transaction = self.connection.transaction()
        await transaction.start()
        try:
            await self.connection.execute("SET LOCAL jit = off")  # as the refresh runs it
            rows = await self.connection.fetch(f"EXPLAIN (ANALYZE, BUFFERS) {text}", *arguments)
        finally:
            await transaction.rollback()
        self.plans += [
            f"Slowest statement of the {what} ({seconds:.2f} s when measured):",
            "",
            "```sql",
            text,
            "```",
            "",
            "```",
            *(row[0] for row in rows),
            "```",
            "",
        ]


async def _reset(connection: asyncpg.Connection, tenant_id: UUID) -> None:
    """Forget the store's segments and model, so each run starts from the same state."""
    await connection.execute("DELETE FROM segments WHERE tenant_id = $1", tenant_id)
    await connection.execute("DELETE FROM store_intelligence WHERE tenant_id = $1", tenant_id)


async def _store(connection: asyncpg.Connection, customers: int, orders: int, seed: int) -> tuple[UUID, str]:
    """The kept store of these sizes, written now if the database does not hold it."""
    name = scale_store.store_name(customers, orders, seed)
    tenant_id: UUID | None = await connection.fetchval("SELECT id FROM tenants WHERE name = $1", name)
    if tenant_id is not None:
        return tenant_id, "kept from an earlier run of bench.scale_store"
    store = await scale_store.write_store(connection, customers=customers, orders=orders, seed=seed)
    return store.tenant_id, f"written by bench.scale_store in {store.seconds:.0f} s"


async def rebuild(run: Run) -> None:
    ours, updated = await timed(rebuild_customer_metrics(tenant_id=run.tenant_id))
    theirs, _ = await timed(
        run.connection.fetchrow(
            "SELECT count(*), sum(n), sum(s) FROM (SELECT customer_id, count(*) AS n, sum(total) AS s"
            " FROM orders WHERE tenant_id = $1 GROUP BY customer_id) AS per",
            run.tenant_id,
        )
    )
    run.row(
        "rebuild every customer's metrics from the orders", ours, theirs, f"{updated:,} customers written"
    )
    vacuum, _ = await timed(run.connection.execute("VACUUM (ANALYZE) customers"))
    run.lines.append(f"| then VACUUM (ANALYZE) customers, as autovacuum would | {vacuum:.2f} s | | | |")


async def create_custom(run: Run) -> None:
    """The custom segments, each refreshed by ``create`` as it is made (scores are empty until the
    first full refresh, so the RFM and churn segments start empty)."""
    created: list[Segment] = []
    started = time.perf_counter()
    for name, match in CUSTOM:
        if match.get("all") and match["all"][0] == {"in_segment": "first"}:
            match = {"all": [{"in_segment": str(created[0].id)}, *match["all"][1:]]}
        definition = {"version": 1, "match": match}
        created.append(
            await segments.create(tenant_id=run.tenant_id, name=name, definition=definition, now=run.now)
        )
    seconds = time.perf_counter() - started
    run.lines.append(
        f"| create the {len(CUSTOM)} custom segments, each filled as it is made | {seconds:.2f} s | | | |"
    )


async def full_refresh(run: Run, now: datetime, what: str) -> float:
    async with recording() as statements:
        ours, report = await timed(refresh_store(tenant_id=run.tenant_id, now=now))
    theirs, counts = await run.by_hand(now)
    model, parameters = report.model, report.model.parameters
    run.row(
        f"full refresh, {what}: model, RFM, stages, {len(report.segments)} segments",
        ours,
        theirs,
        f"{run.alike(await run.members(), counts)}; {report.customers_rescored:,} customers rescored; "
        f"{len(statements.seen)} statements; cycle {model.cycle_days} d; BG/NBD "
        f"{'fitted' if model.fitted else 'priors'} r={parameters.r:.3f} α={parameters.alpha:.2f} d "
        f"a={parameters.a:.3f} b={parameters.b:.3f}",
    )
    if ours > REFRESH_TARGET:
        await run.explain(statements, f"full refresh, {what}")
    return ours


async def segments_alone(run: Run, now: datetime) -> float:
    """Every segment of the store refreshed for every customer, without relearning the store: the
    segment part of the nightly refresh, which the 10 s target is about."""
    async with recording() as statements:
        ours, changes = await timed(refresh_segments(tenant_id=run.tenant_id, now=now))
    theirs, counts = await run.by_hand(now)
    moved = sum(len(change.entered) + len(change.left) for change in changes)
    run.row(
        f"refresh of the {len(changes)} segments alone, every customer",
        ours,
        theirs,
        f"{run.alike(await run.members(), counts)}; {moved:,} entries and exits; "
        f"{len(statements.seen)} statements",
    )
    if ours > REFRESH_TARGET:
        await run.explain(statements, "refresh of the segments alone")
    return ours


async def incremental(run: Run, now: datetime) -> None:
    """500 customers order; their metrics, then every segment for them, are refreshed. Undone after."""
    ids: list[UUID] = [
        row["id"]
        for row in await run.connection.fetch(
            "SELECT id FROM customers WHERE tenant_id = $1 AND orders_count > 0 ORDER BY id"
            " OFFSET (SELECT count(*) / 3 FROM customers WHERE tenant_id = $1) LIMIT $2",
            run.tenant_id,
            TOUCHED,
        )
    ]
    await run.connection.execute(
        "INSERT INTO orders (id, tenant_id, customer_id, external_id, status, currency, total, subtotal,"
        " coupon_codes, billing, placed_at, completed_at, source_updated_at, created_at, updated_at)"
        " SELECT gen_random_uuid(), $1, t.id, 'bench-' || t.id, 'completed', 'IRR', 60000000, 60000000,"
        """ '["BAHAR20"]', '{}', $3, $3, $3, $3, $3 FROM unnest($2::uuid[]) AS t(id)""",
        run.tenant_id,
        ids,
        now - timedelta(hours=1),
    )
    async with in_transaction() as connection:
        model = await load(connection, tenant_id=run.tenant_id)
        metrics, _ = await timed(
            refresh_customers(connection, tenant_id=run.tenant_id, customer_ids=ids, now=now, model=model)
        )
        async with recording() as statements:
            ours, changes = await timed(refresh_segments(tenant_id=run.tenant_id, now=now, customer_ids=ids))
    baseline_metrics, _ = await timed(
        run.connection.fetch(
            "SELECT customer_id, count(*), sum(total) FROM orders WHERE tenant_id = $1"
            " AND customer_id = ANY($2::uuid[]) GROUP BY customer_id",
            run.tenant_id,
            ids,
        )
    )
    theirs, counts = await run.by_hand(now, ids)
    moved = sum(len(change.entered) + len(change.left) for change in changes)
    run.row(f"metrics of {TOUCHED} customers after an order each", metrics, baseline_metrics, "")
    run.row(
        f"incremental refresh of {len(changes)} segments for those {TOUCHED} customers",
        ours,
        theirs,
        f"{moved:,} entries and exits; {run.alike(await run.members(ids), counts)}; "
        f"slowest statement {statements.slowest()[0] * 1000:.0f} ms",
    )
    # Undo: the orders go, and those customers' metrics and memberships follow (not timed).
    await run.connection.execute(
        "DELETE FROM orders WHERE tenant_id = $1 AND external_id LIKE 'bench-%'", run.tenant_id
    )
    async with in_transaction() as connection:
        model = await load(connection, tenant_id=run.tenant_id)
        await refresh_customers(connection, tenant_id=run.tenant_id, customer_ids=ids, now=now, model=model)
        await refresh_segments(tenant_id=run.tenant_id, now=now, customer_ids=ids)


async def previews(run: Run, now: datetime, repeat: int = 3) -> float:
    """A new definition previewed ``repeat`` times (the median counts), beside the count and sample by
    hand."""
    ours: list[float] = []
    async with recording() as statements:
        for _ in range(repeat):
            seconds, result = await timed(
                preview(tenant_id=run.tenant_id, definition=PREVIEW, now=now, sample=20)
            )
            ours.append(seconds)
    theirs: list[float] = []
    for _ in range(repeat):
        started = time.perf_counter()
        matching = await run.count(PREVIEW_BY_HAND, now)
        await run.connection.fetch(
            f"SELECT c.* FROM customers AS c WHERE c.tenant_id = $1 AND {PREVIEW_BY_HAND}"
            " ORDER BY c.last_order_at DESC NULLS LAST, c.id LIMIT 20",
            run.tenant_id,
            now,
            list(PURCHASE_STATUSES),
        )
        theirs.append(time.perf_counter() - started)
    median = statistics.median(ours)
    same = "alike" if result.matching == matching else f"by hand {matching:,}"
    run.row(
        f"preview of a new segment: count and 20-customer sample (median of {repeat})",
        median,
        statistics.median(theirs),
        f"{result.matching:,} matching ({same}), {len(result.sample)} sampled",
    )
    if median > PREVIEW_TARGET:
        await run.explain(statements, "preview")
    return median


async def measure(connection: asyncpg.Connection, customers: int, orders: int, seed: int) -> list[str]:
    tenant_id, origin = await _store(connection, customers, orders, seed)
    counts = await connection.fetchrow(
        "SELECT (SELECT count(*) FROM customers WHERE tenant_id = $1) AS customers,"
        " (SELECT count(*) FROM orders WHERE tenant_id = $1) AS orders,"
        " (SELECT count(*) FROM order_items WHERE tenant_id = $1) AS lines",
        tenant_id,
    )
    run = Run(connection, tenant_id, scale_store.END)
    await _reset(connection, tenant_id)
    for table in ("customers", "orders", "order_items", "outbound_messages"):  # the first read sets hint bits
        await connection.fetchval(f"SELECT count(*) FROM {table} WHERE tenant_id = $1", tenant_id)
    await rebuild(run)
    await create_custom(run)
    first = await full_refresh(run, run.now, "first (every membership new)")
    nightly = await full_refresh(run, run.now + timedelta(days=1), "a day later (the nightly one)")
    alone = await segments_alone(run, run.now + timedelta(days=1, hours=1))
    await incremental(run, run.now + timedelta(days=1))
    shown = await previews(run, run.now + timedelta(days=1))
    truth = scale_store.true_model(customers, orders, seed)
    return [
        f"**{counts['customers']:,} customers, {counts['orders']:,} orders, {counts['lines']:,} lines** "
        f"(`bench.scale_store --customers {customers} --orders {orders} --seed {seed}`, {origin}; "
        f"BG/NBD truth r={truth.r} α={truth.alpha:.2f} d a={truth.a} b={truth.b}):",
        "",
        "| measure | Revisit | baseline | Revisit ÷ baseline (time) | notes |",
        "|---|---:|---:|---:|---|",
        *run.lines,
        "",
        f"Targets: refreshing every segment ≤ {REFRESH_TARGET:.0f} s — {alone:.1f} s "
        f"({'met' if alone <= REFRESH_TARGET else 'not met'}; with relearning the store and rescoring every "
        f"customer: first {first:.1f} s, nightly {nightly:.1f} s); preview ≤ {PREVIEW_TARGET:.0f} s "
        f"— {shown:.2f} s ({'met' if shown <= PREVIEW_TARGET else 'not met'}).",
        "",
        *run.plans,
    ]


async def run_all(sizes: Sequence[tuple[int, int]], seed: int) -> str:
    url = scale_store.database_url()
    await database.migrate(url)
    await database.close()
    await database.init(url)
    connection = await asyncpg.connect(url)
    try:
        report = [
            f"Machine: {os.cpu_count()} cores ({platform.machine()}), Python {sys.version.split()[0]}, "
            f"PostgreSQL {await connection.fetchval('SHOW server_version')}.",
            "",
        ]
        for customers, orders in sizes:
            report += await measure(connection, customers, orders, seed)
        return "\n".join(report)
    finally:
        await connection.close()
        await database.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="100000:500000,1000000:5000000", help="customers:orders,…")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    sizes = [tuple(int(part) for part in size.split(":")) for size in args.sizes.split(",")]
    print(asyncio.run(run_all([(customers, orders) for customers, orders in sizes], args.seed)))


if __name__ == "__main__":
    main()
