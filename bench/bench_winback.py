"""Win-back date trigger benchmark: the daily pass of a win-back journey over a large store.

    uv run python -m bench.bench_winback [--customers 1000000] [--orders 5000000] [--seed 7]
                                          [--min-days 60] [--max-days 90]

On the store of :mod:`bench.scale_store` (written first if the database does not hold it; its
customers' purchase facts are rebuilt from the orders when they are missing), a win-back journey
("no purchase for ``min_days`` to ``max_days`` days") is made and activated through the service, then
the store's daily date pass (``domain.automation.date_triggers.run_pass``) runs for the local day the
history ends on, at the pass hour:

- **first pass**: finds the lapsed customers and enrols every one of them (one ``enrol`` call: entry
  rules, the open-run rule and the cap read by one ``SELECT``, the runs written by one ``INSERT``);
- **the same pass again** (a repeated job): finds nobody new and enrols nobody;

each beside the **baseline**, the bare ``SELECT id`` of the eligible customers over the same index.
Target: the first pass in at most 10 s. The plan of the pass's statement is printed (EXPLAIN
ANALYZE). The store's journeys and runs are deleted at the start of each run, so every run starts from
the same state. Uses the database of :mod:`bench.scale_store`; prints Markdown for bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Awaitable
from datetime import date, datetime, timedelta
from typing import TypeVar
from uuid import UUID

import asyncpg
from tortoise import Tortoise
from tortoise.transactions import in_transaction

from bench import scale_store
from domain.automation import service as automations
from domain.automation.date_calendar import local_day, start_of
from domain.automation.date_triggers import LAPSED, PASS_HOUR, find, run_pass
from domain.automation.definition import JourneyDefinition
from domain.automation.enrolment import Candidate
from domain.automation.models import Automation
from domain.intelligence.metrics import rebuild_customer_metrics
from domain.tenancy.models import Tenant
from revisit import database

T = TypeVar("T")
TARGET = 10.0
REPEAT = 3

BASELINE = """
SELECT c.id FROM customers AS c
WHERE c.tenant_id = $1 AND c.last_order_at >= $2 AND c.last_order_at < $3
"""


async def timed(work: Awaitable[T]) -> tuple[float, T]:
    started = time.perf_counter()
    result = await work
    return time.perf_counter() - started, result


async def _store(connection: asyncpg.Connection, customers: int, orders: int, seed: int) -> tuple[UUID, str]:
    name = scale_store.store_name(customers, orders, seed)
    tenant_id: UUID | None = await connection.fetchval("SELECT id FROM tenants WHERE name = $1", name)
    if tenant_id is not None:
        return tenant_id, "kept from an earlier run of bench.scale_store"
    store = await scale_store.write_store(connection, customers=customers, orders=orders, seed=seed)
    return store.tenant_id, f"written by bench.scale_store in {store.seconds:.0f} s"


async def _reset(connection: asyncpg.Connection, tenant_id: UUID) -> None:
    """Forget the store's journeys and their runs, so each run starts from the same state."""
    for table in ("automation_step_events", "automation_runs", "automation_versions", "automations"):
        await connection.execute(f"DELETE FROM {table} WHERE tenant_id = $1", tenant_id)
    await connection.execute("VACUUM (ANALYZE) automation_runs")


async def measure(customers: int, orders: int, seed: int, min_days: int, max_days: int) -> list[str]:
    url = scale_store.database_url()
    await database.migrate(url)
    await database.close()
    await database.init(url)
    connection = await asyncpg.connect(url)
    lines: list[str] = []
    try:
        tenant_id, origin = await _store(connection, customers, orders, seed)
        timezone = await connection.fetchval("SELECT timezone FROM tenants WHERE id = $1", tenant_id)
        missing = not await connection.fetchval(
            "SELECT count(last_order_at) FROM customers WHERE tenant_id = $1", tenant_id
        )
        if missing:
            seconds, _ = await timed(rebuild_customer_metrics(tenant_id=tenant_id))
            await connection.execute("VACUUM (ANALYZE) customers")
            origin += f"; purchase facts rebuilt from the orders in {seconds:.0f} s"
        await _reset(connection, tenant_id)
        await connection.fetchval("SELECT count(*) FROM customers WHERE tenant_id = $1", tenant_id)

        day = local_day(scale_store.END, timezone)
        now = start_of(day, timezone) + timedelta(hours=PASS_HOUR)
        definition = JourneyDefinition.model_validate(
            {
                "trigger": {"type": "days_since_last_order", "min_days": min_days, "max_days": max_days},
                "steps": [
                    {
                        "type": "send_sms",
                        "template": "{first_name}، دلمان برایتان تنگ شده.",
                        "purpose": "marketing",
                    }
                ],
            }
        )
        async with in_transaction():
            journey = await automations.create(
                tenant_id=tenant_id, name="bench win-back", definition=definition
            )
            await automations.activate(tenant_id=tenant_id, automation_id=journey.id, now=now)

        low = start_of(day - timedelta(days=max_days), timezone)
        high = start_of(day - timedelta(days=min_days - 1), timezone)
        baseline_times: list[float] = []
        eligible = 0
        for _ in range(REPEAT):
            seconds, rows = await timed(connection.fetch(BASELINE, tenant_id, low, high))
            baseline_times.append(seconds)
            eligible = len(rows)
        baseline = statistics.median(baseline_times)

        finding, candidates = await timed(_find(tenant_id, journey, day, now))
        first, result = await timed(run_pass(tenant_id=tenant_id, day=day, now=now))
        [journey_pass] = result.journeys
        again, repeat = await timed(run_pass(tenant_id=tenant_id, day=day, now=now))
        plain = await _plain_insert(connection, tenant_id, journey.id, candidates, now)
        runs = await connection.fetchval(
            "SELECT count(*) FROM automation_runs WHERE tenant_id = $1 AND automation_id = $2",
            tenant_id,
            journey.id,
        )
        plan = await connection.fetch("EXPLAIN (ANALYZE, BUFFERS) " + LAPSED, tenant_id, timezone, low, high)
        counts = await connection.fetchrow(
            "SELECT (SELECT count(*) FROM customers WHERE tenant_id = $1) AS customers,"
            " (SELECT count(*) FROM orders WHERE tenant_id = $1) AS orders",
            tenant_id,
        )
        lines += [
            f"Machine: {os.cpu_count()} cores ({platform.machine()}), Python {sys.version.split()[0]}, "
            f"PostgreSQL {await connection.fetchval('SHOW server_version')}.",
            "",
            f"**{counts['customers']:,} customers, {counts['orders']:,} orders** (`bench.scale_store "
            f"--customers {customers} --orders {orders} --seed {seed}`, {origin}); win-back "
            f"{min_days}–{max_days} days, the store's day {day} ({timezone}), pass at {now.isoformat()}:",
            "",
            "| measure | Revisit | baseline (bare SELECT of the eligible ids) | Revisit ÷ baseline | notes |",
            "|---|---:|---:|---:|---|",
            f"| first pass: find and enrol | {first:.2f} s | {baseline:.2f} s | {first / baseline:.1f}× | "
            f"{eligible:,} eligible, {journey_pass.found:,} found, {len(result.enrolled):,} enrolled |",
            f"| the same pass again | {again:.2f} s | {baseline:.2f} s | {again / baseline:.1f}× | "
            f"{repeat.journeys[0].found:,} found, {len(repeat.enrolled):,} enrolled; {runs:,} runs in all |",
            f"| of the first pass: finding the candidates (`date_triggers.find`) | {finding:.2f} s | "
            f"{baseline:.2f} s | {finding / baseline:.1f}× | {len(candidates):,} candidates |",
            f"| of the first pass: `enrolment.enrol` (the rest) | {first - finding:.2f} s | | | "
            "the entry rules read by one SELECT, then one INSERT … SELECT FROM unnest |",
            "| for comparison: the same rows by a plain INSERT … ON CONFLICT DO NOTHING | "
            f"{plain:.2f} s | | | "
            "rolled back; the unique keys alone arbitrate |",
            "",
            f"Target: the pass finds and enrols the eligible customers in ≤ {TARGET:.0f} s — {first:.2f} s "
            f"({'met' if first <= TARGET else 'not met'}).",
            "",
            "The finding statement of the pass:",
            "",
            "```",
            *(row[0] for row in plan),
            "```",
        ]
    finally:
        await connection.close()
        await database.close()
    return lines


async def _find(tenant_id: UUID, journey: Automation, day: date, now: datetime) -> list[Candidate]:
    tenant = await Tenant.get(id=tenant_id)
    trigger = JourneyDefinition.model_validate(journey.definition).trigger
    connection = Tortoise.get_connection("default")
    return await find(connection, tenant=tenant, automation_id=journey.id, trigger=trigger, day=day, now=now)


PLAIN_INSERT = """
INSERT INTO automation_runs (id, tenant_id, automation_id, automation_version, customer_id, enrolment_key,
    open_scope, state, current_step, current_step_id, due_at, context, created_at, updated_at)
SELECT gen_random_uuid(), $1, $2, 1, u.customer_id, u.enrolment_key, '', 'pending', 0, 's1', $3,
    u.context::jsonb, $3, $3
FROM unnest($4::uuid[], $5::text[], $6::text[]) AS u(customer_id, enrolment_key, context)
ON CONFLICT DO NOTHING
"""


async def _plain_insert(
    connection: asyncpg.Connection,
    tenant_id: UUID,
    journey_id: UUID,
    candidates: list[Candidate],
    now: datetime,
) -> float:
    """The candidates written as runs of a second journey by a bare INSERT, timed and rolled back."""
    transaction = connection.transaction()
    await transaction.start()
    try:
        other = await connection.fetchval(
            "INSERT INTO automations (id, tenant_id, name, status, trigger, definition, version,"
            " enrolled_count, created_at, updated_at) SELECT gen_random_uuid(), tenant_id,"
            " name || ' (plain)', status, trigger, definition, version, 0, now(), now()"
            " FROM automations WHERE id = $1 RETURNING id",
            journey_id,
        )
        seconds, _ = await timed(
            connection.execute(
                PLAIN_INSERT,
                tenant_id,
                other,
                now,
                [c.customer_id for c in candidates],
                [c.enrolment_key for c in candidates],
                [json.dumps({"facts": c.facts}, ensure_ascii=False) for c in candidates],
            )
        )
        return seconds
    finally:
        await transaction.rollback()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--orders", type=int, default=5_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--min-days", type=int, default=60)
    parser.add_argument("--max-days", type=int, default=90)
    args = parser.parse_args()
    lines = asyncio.run(measure(args.customers, args.orders, args.seed, args.min_days, args.max_days))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
