"""Processing benchmark: Revisit's processing beside the hand-written set-based baseline, same data.

    uv run python -m bench.bench_processing [--sizes 10000,100000,1000000] [--workload 10000]
                                            [--backfill 100000]

Two measurements, each with the baseline of :mod:`bench.baseline` on identical data in the same run:

- **scale**: stores already holding 10k, 100k and 1M orders (rows written with COPY: customers, orders,
  two lines each) receive the same workload (``--workload`` synthetic orders with their customers,
  updates, refunds and payments); Revisit processes it in-process, the baseline on a twin store.
- **backfill**: ``--backfill`` orders (about three events each) stored as pending, processed by the real
  worker process (``revisit worker``, one process) woken by one job, timed until nothing is pending.

Uses the embedded PostgreSQL and Redis under .revisit/bench (or REVISIT_BENCH_DATABASE_URL and
REVISIT_BENCH_REDIS_URL), a fresh database each run. Prints Markdown for bench/RESULTS.md, with the
plans of the hot statements on the largest store.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import subprocess
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import asyncpg
from arq import create_pool
from arq.connections import RedisSettings

from bench import baseline
from bench.synthetic import generate
from domain.events.processing import drain
from domain.tenancy import service as tenancy
from jobs.queue import QUEUE_NAME, enqueue_ingest
from revisit import database, embedded

BENCH_DIR = Path(".revisit/bench")
END = datetime(2026, 11, 1, tzinfo=UTC)


def _urls() -> tuple[str, str]:
    database_url = os.environ.get("REVISIT_BENCH_DATABASE_URL")
    if not database_url:
        embedded.postgres_url(BENCH_DIR, database="postgres")
        embedded.postgres_server(BENCH_DIR).psql('DROP DATABASE IF EXISTS "revisit_bench" WITH (FORCE);')
        database_url = embedded.postgres_url(BENCH_DIR, database="revisit_bench")
    return database_url, os.environ.get("REVISIT_BENCH_REDIS_URL") or embedded.redis_url(BENCH_DIR)


async def _store(name: str) -> UUID:
    _, tenant = await tenancy.register_owner(
        email=f"{name}@bench.example",
        password="benchmark-password",
        full_name="Bench",
        tenant_in=tenancy.TenantIn(name=name, currency="IRT", timezone="Asia/Tehran"),
    )
    return tenant.id


async def _prefill(connection: asyncpg.Connection, tenant_id: UUID, orders: int) -> None:
    """``orders`` completed orders of ``orders // 5`` customers, two lines each, written with COPY."""
    rng = random.Random(orders)
    people = max(1, orders // 5)
    start = END - timedelta(days=540)
    customers = [
        (uuid4(), tenant_id, f"p{n}", f"+98935{n:07d}", "پیش", "خریدار", "تهران", "[]", 5, 0, start, start)
        for n in range(people)
    ]
    await connection.copy_records_to_table(
        "customers",
        records=customers,
        columns=[
            "id",
            "tenant_id",
            "external_id",
            "phone",
            "first_name",
            "last_name",
            "city",
            "tags",
            "orders_count",
            "total_spent",
            "created_at",
            "updated_at",
        ],
    )
    rows, lines = [], []
    for n in range(orders):
        order_id, placed = uuid4(), start + timedelta(minutes=rng.randrange(700_000))
        rows.append(
            (
                order_id,
                tenant_id,
                customers[n % people][0],
                f"p{n}",
                f"p{n}",
                "completed",
                "IRT",
                300_000,
                300_000,
                0,
                0,
                0,
                0,
                0,
                "[]",
                "{}",
                placed,
                placed,
                placed,
                placed,
                placed,
            )
        )
        lines += [
            (uuid4(), tenant_id, order_id, "1", "چای", "", 1, 100_000, "[]"),
            (uuid4(), tenant_id, order_id, "2", "قهوه", "", 2, 200_000, "[]"),
        ]
    await connection.copy_records_to_table(
        "orders",
        records=rows,
        columns=[
            "id",
            "tenant_id",
            "customer_id",
            "external_id",
            "number",
            "status",
            "currency",
            "total",
            "subtotal",
            "discount_total",
            "shipping_total",
            "tax_total",
            "refunded_total",
            "credit_used",
            "coupon_codes",
            "billing",
            "placed_at",
            "completed_at",
            "source_updated_at",
            "created_at",
            "updated_at",
        ],
    )
    await connection.copy_records_to_table(
        "order_items",
        records=lines,
        columns=[
            "id",
            "tenant_id",
            "order_id",
            "product_id",
            "name",
            "sku",
            "quantity",
            "total",
            "category_ids",
        ],
    )


async def _counts(connection: asyncpg.Connection, tenant_id: UUID) -> tuple[int, ...]:
    row = await connection.fetchrow(
        """
        SELECT (SELECT count(*) FROM customers WHERE tenant_id = $1),
               (SELECT count(*) FROM orders WHERE tenant_id = $1),
               (SELECT count(*) FROM order_items WHERE tenant_id = $1),
               (SELECT count(*) FROM refunds WHERE tenant_id = $1),
               (SELECT count(*) FROM payments WHERE tenant_id = $1),
               (SELECT count(*) FROM ingested_events WHERE tenant_id = $1 AND status <> 'processed')
        """,
        tenant_id,
    )
    return tuple(row)


async def _timed(work: Any) -> float:
    started = time.perf_counter()
    await work
    return time.perf_counter() - started


async def scale(connection: asyncpg.Connection, sizes: Sequence[int], workload: int) -> list[str]:
    events = generate(customers=max(1, workload // 5), orders=workload, end=END).events
    lines = [
        f"Workload: {workload:,} synthetic orders, {len(events):,} events (customers, orders and their "
        "updates, refunds, payments), processed on top of stores already holding the given orders.",
        "",
        "| orders in the store | Revisit (events/s) | baseline (events/s) | Revisit ÷ baseline | rows |",
        "|---:|---:|---:|---:|---|",
    ]
    for size in sizes:
        ours, theirs = await _store(f"revisit-{size}"), await _store(f"baseline-{size}")
        for tenant_id in (ours, theirs):
            await _prefill(connection, tenant_id, size)
            await baseline.copy_events(connection, tenant_id, "bench", events)
        await connection.execute("ANALYZE")
        baseline_seconds = await _timed(baseline.process_all(connection, theirs))
        revisit_seconds = await _timed(drain(tenant_id=ours))
        lines.append(
            f"| {size:,} | {len(events) / revisit_seconds:,.0f} | {len(events) / baseline_seconds:,.0f} | "
            f"{baseline_seconds / revisit_seconds:.2f} | {await _alike(connection, ours, theirs)} |"
        )
    return lines


async def _alike(connection: asyncpg.Connection, ours: UUID, theirs: UUID) -> str:
    """``alike``, or where Revisit's rows differ from the baseline's (Revisit first)."""
    names = ("customers", "orders", "lines", "refunds", "payments", "unprocessed")
    mine, yours = await _counts(connection, ours), await _counts(connection, theirs)
    differences = [f"{name} {a} vs {b}" for name, a, b in zip(names, mine, yours, strict=True) if a != b]
    return ", ".join(differences) or "alike"


async def backfill(
    connection: asyncpg.Connection, database_url: str, redis_url: str, orders: int
) -> list[str]:
    events = generate(customers=max(1, orders // 5), orders=orders, end=END).events
    ours, theirs = await _store("backfill-revisit"), await _store("backfill-baseline")
    await baseline.copy_events(connection, theirs, "bench", events)
    await connection.execute("ANALYZE")
    baseline_seconds = await _timed(baseline.process_all(connection, theirs))

    environment = {
        **os.environ,
        "REVISIT_DATABASE_URL": database_url,
        "REVISIT_REDIS_URL": redis_url,
        "REVISIT_DATA_DIR": str(BENCH_DIR / "worker"),
    }
    worker = subprocess.Popen(  # noqa: ASYNC220 - started once, before anything is timed
        [str(Path(sys.executable).with_name("revisit")), "worker"],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    queue = await create_pool(RedisSettings.from_dsn(redis_url), default_queue_name=QUEUE_NAME)
    try:
        await asyncio.sleep(8)  # the worker is up; its start-up reconcile found nothing pending
        await baseline.copy_events(connection, ours, "bench", events)  # one COPY: visible all at once
        started = time.perf_counter()
        await enqueue_ingest(queue, ours)
        while await connection.fetchval(  # noqa: ASYNC110 - another process does the work
            "SELECT EXISTS (SELECT 1 FROM ingested_events WHERE tenant_id = $1 AND status = 'pending')", ours
        ):
            await asyncio.sleep(0.2)
        worker_seconds = time.perf_counter() - started
    finally:
        worker.terminate()
        worker.wait(30)
        await queue.aclose()
    return [
        f"Backfill: {orders:,} orders, {len(events):,} events, stored as pending, then processed by one "
        "`revisit worker` process woken by one job (timed until none is pending).",
        "",
        "| measure | Revisit (worker) | baseline | Revisit ÷ baseline | rows |",
        "|---|---:|---:|---:|---|",
        f"| events/s | {len(events) / worker_seconds:,.0f} | {len(events) / baseline_seconds:,.0f} | "
        f"{baseline_seconds / worker_seconds:.2f} | {await _alike(connection, ours, theirs)} |",
    ]


PLANS = {
    "take the pending line": (
        "SELECT id FROM ingested_events WHERE tenant_id = $1 AND status = 'pending' "
        "ORDER BY occurred_at, id LIMIT 500",
        lambda t: [t],
    ),
    "orders of a batch by external id": (
        "SELECT id FROM orders WHERE tenant_id = $1 AND external_id = ANY($2::text[])",
        lambda t: [t, [f"p{n}" for n in range(0, 5000, 10)]],
    ),
    "customers of a batch by identity": (
        "SELECT id FROM customers WHERE tenant_id = $1 AND (external_id = ANY($2::text[]) "
        "OR phone = ANY($3::text[]) OR email = ANY($4::text[]))",
        lambda t: [t, ["p1", "p2"], ["+989350000001"], ["a@example.com"]],
    ),
    "replace an order's lines": (
        "DELETE FROM order_items WHERE tenant_id = $1 AND order_id = ANY($2::uuid[])",
        lambda t: [t, [uuid4() for _ in range(200)]],
    ),
    "customer metrics": (
        "SELECT customer_id, count(*) FROM orders WHERE tenant_id = $1 AND customer_id = ANY($2::uuid[]) "
        "GROUP BY customer_id",
        lambda t: [t, [uuid4() for _ in range(200)]],
    ),
    "orders list, newest first": (
        "SELECT id FROM orders WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC LIMIT 51",
        lambda t: [t],
    ),
}


async def plans(connection: asyncpg.Connection, size: int) -> list[str]:
    tenant_id = await connection.fetchval("SELECT id FROM tenants WHERE name = $1", f"revisit-{size}")
    lines = [f"Plans on the store of {size:,} orders (EXPLAIN, first line of each):", ""]
    for name, (sql, arguments) in PLANS.items():
        rows = await connection.fetch(f"EXPLAIN {sql}", *arguments(tenant_id))
        plan = " / ".join(row[0].strip() for row in rows[:2])
        lines.append(f"- {name}: `{plan[:160]}`")
    return lines


async def run(sizes: Sequence[int], workload: int, orders: int) -> str:
    database_url, redis_url = _urls()
    await database.migrate(database_url)
    await database.close()
    await database.init(database_url)
    connection = await asyncpg.connect(database_url)
    try:
        report = [
            f"Machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, "
            f"PostgreSQL {await connection.fetchval('SHOW server_version')}.",
            "",
        ]
        if sizes:
            report += await scale(connection, sizes, workload)
            report += ["", *await plans(connection, max(sizes)), ""]
        if orders:
            report += await backfill(connection, database_url, redis_url, orders)
        return "\n".join(report)
    finally:
        await connection.close()
        await database.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--workload", type=int, default=10000)
    parser.add_argument("--backfill", type=int, default=100000)
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",") if size.strip()]  # --sizes "" skips the scale runs
    print(asyncio.run(run(sizes, args.workload, args.backfill)))


if __name__ == "__main__":
    main()
