"""Cashback journey benchmark: 10,000 completed orders → cashback granted and the SMS sent, one worker.

    uv run python -m bench.bench_cashback_journey [--orders 10000] [--seed 1403]

A live store (``--prior`` completed orders already written with COPY and analysed, as
:mod:`bench.bench_processing` prefills; ``--prior 0`` is a new store, whose statistics do not know it)
with one active journey — on ``order.completed``, grant 5 % cashback (expiring after 90 days),
then send a marketing SMS with the credit and the balance — receives ``--orders`` completed-order events
from the synthetic generator (:mod:`bench.synthetic`: the ``order.updated`` event that completes each
order, with its customer, phones spelt as stores spell them), stored as pending with one COPY. Then one
real ``revisit worker`` process (the production job functions, arq, Redis; the console SMS provider)
is woken by one job and does everything: processes the events (customers and orders written, journeys
enrolled), advances the runs (the cashback grant, the SMS queued under the sending policy) and delivers
the messages. The store has no quiet hours and no frequency caps, so every message goes out at once
whatever the hour of the run.

Times are from the wake-up job until: nothing pending (processing), every order's cashback granted,
every run's first step done (its step event), every SMS sent. Beside them, in the same run on a twin
store, the baseline: the hand-written set-based processing of :mod:`bench.baseline` on the same events,
then the same cashback lines, accounts and sent messages written with three ``INSERT … SELECT``
statements — what the work costs with no journey, no policy, no provider and no queue.

While the worker runs, the statements PostgreSQL is executing are sampled (``pg_stat_activity``) every
50 ms; the most frequent ones are printed, which is where the time goes.

Uses REVISIT_BENCH_DATABASE_URL / REVISIT_BENCH_REDIS_URL (the database is dropped and recreated) or
the embedded services under .revisit/bench. Prints Markdown for bench/RESULTS.md; the worker's log is
.revisit/bench/cashback-worker.log.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import asyncpg
from arq import create_pool
from arq.connections import RedisSettings

from bench import baseline
from bench.bench_processing import _prefill as prefill
from bench.databases import BENCH_DIR, recreated_urls
from bench.synthetic import generate
from domain.automation import service as journeys
from domain.tenancy import service as tenancy
from domain.tenancy.models import Tenant
from jobs.queue import QUEUE_NAME, enqueue_ingest
from revisit import database

_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")
END = datetime(2026, 11, 1, tzinfo=UTC)
TARGET_SECONDS = 10.0
JOURNEY: dict[str, Any] = {
    "schema_version": 2,
    "trigger": {"type": "event", "event": "order.completed"},
    "entry": {"mode": "once_per_order"},
    "steps": [
        {"id": "cashback", "type": "grant_cashback", "percent": "5", "expires_after_days": 90},
        {
            "id": "thanks",
            "type": "send_sms",
            "purpose": "marketing",
            "template": "{first_name} عزیز، {credit} اعتبار هدیه در {store} گرفتید. موجودی: {balance}",
        },
    ],
}

_PROGRESS = """
SELECT (SELECT count(*) FROM ingested_events WHERE tenant_id = $1 AND status = 'pending') AS pending,
       (SELECT count(*) FROM automation_runs WHERE tenant_id = $1) AS runs,
       (SELECT count(*) FROM automation_runs
          WHERE tenant_id = $1 AND state IN ('pending', 'waiting')) AS open,
       (SELECT count(*) FROM credit_entries WHERE tenant_id = $1 AND kind = 'cashback') AS granted,
       (SELECT count(*) FROM automation_step_events WHERE tenant_id = $1 AND step_id = 'cashback'
          AND outcome = 'done') AS first_steps,
       (SELECT count(*) FROM outbound_messages WHERE tenant_id = $1 AND status = 'sent') AS sent,
       (SELECT count(*) FROM outbound_messages WHERE tenant_id = $1) AS messages
"""

_ACTIVE = """
SELECT query, coalesce(wait_event_type || ':' || wait_event, 'running') AS waiting FROM pg_stat_activity
WHERE datname = current_database() AND state = 'active' AND pid <> pg_backend_pid()
  AND query NOT LIKE '%pg_stat_activity%'
  AND query NOT LIKE '%automation_step_events WHERE tenant_id = $1 AND step_id%'
"""

_BASELINE_GRANTS = """
WITH granted AS (
  INSERT INTO credit_entries (id, tenant_id, customer_id, kind, amount, available_at, expires_at, order_id,
      idempotency_key, note, created_at)
  SELECT gen_random_uuid(), $1, o.customer_id, 'cashback', (o.total - o.shipping_total) * 5 / 100, now(),
      now() + interval '90 days', o.id, 'bench:' || o.id::text, '', now()
  FROM orders AS o WHERE o.tenant_id = $1 AND o.status = 'completed' AND o.customer_id IS NOT NULL
  RETURNING customer_id, amount
)
INSERT INTO credit_accounts (id, tenant_id, customer_id, available, pending, updated_at)
SELECT gen_random_uuid(), $1, customer_id, sum(amount), 0, now() FROM granted GROUP BY customer_id
"""
_BASELINE_MESSAGES = """
INSERT INTO outbound_messages (id, tenant_id, customer_id, origin_key, purpose, phone, body, encoding, parts,
    status, provider, provider_message_id, attempts, created_at, updated_at, sent_at)
SELECT gen_random_uuid(), $1, c.id, 'bench:' || e.id::text, 'marketing', c.phone,
    c.first_name || ' عزیز، ' || e.amount || ' تومان اعتبار هدیه در فروشگاه گرفتید. موجودی: ' || a.available
        || E'\\nلغو۱۱',
    'ucs2', 2, 'sent', 'console', 'console-' || e.id::text, 1, now(), now(), now()
FROM credit_entries AS e
JOIN customers AS c ON c.tenant_id = e.tenant_id AND c.id = e.customer_id
JOIN credit_accounts AS a ON a.tenant_id = e.tenant_id AND a.customer_id = e.customer_id
WHERE e.tenant_id = $1 AND e.kind = 'cashback' AND c.phone IS NOT NULL
"""


@dataclass
class Progress:
    """When each milestone was first reached, in seconds after the wake-up."""

    processed: float | None = None
    granted: float | None = None
    first_steps: float | None = None
    sent: float | None = None
    finished: float | None = None
    last: dict[str, int] = field(default_factory=dict)


def completed_orders(orders: int, seed: int) -> list[dict[str, Any]]:
    """The order-completing events of a synthetic store, oldest first, one per customer, ``orders`` of them.

    One per customer because a journey enrols a customer once while their run is open (the second order
    of a customer in the same minute would enrol nobody): every event then makes one run. Customers are
    told apart by their store id and by their phone's last ten digits (stores spell phones many ways)."""
    store = generate(seed=seed, customers=orders * 2, orders=orders * 2, end=END)
    seen: set[str] = set()
    chosen: list[dict[str, Any]] = []
    for event in store.events:
        data = event["data"]
        if event["type"] != "order.updated" or data.get("status") != "completed":
            continue
        customer = data.get("customer") or {}
        phone = customer.get("phone") or (data.get("billing") or {}).get("phone") or ""
        keys = {f"id:{customer['external_id']}"} if customer.get("external_id") else set()
        digits = "".join(char for char in phone.translate(_DIGITS) if char.isdigit())
        if digits:
            keys.add(f"phone:{digits[-10:]}")
        if not keys or keys & seen:
            continue
        seen |= keys
        chosen.append(event)
        if len(chosen) == orders:
            return chosen
    raise SystemExit(f"the synthetic store completed orders of only {len(chosen)} customers")


async def _store(name: str) -> UUID:
    _, tenant = await tenancy.register_owner(
        email=f"{name}@bench.example",
        password="benchmark-password",
        full_name="Bench",
        tenant_in=tenancy.TenantIn(name=name, currency="IRT", timezone="Asia/Tehran"),
    )
    # No quiet hours (start = end) and no caps: every message may go out whatever the hour of the run.
    await Tenant.filter(id=tenant.id).update(
        quiet_hours_start=0, quiet_hours_end=0, marketing_daily_cap=None, marketing_weekly_cap=None
    )
    return tenant.id


async def _journey(tenant_id: UUID) -> None:
    definition = await journeys.validated(tenant_id=tenant_id, raw=JOURNEY)
    automation = await journeys.create(tenant_id=tenant_id, name="Cashback and thanks", definition=definition)
    await journeys.activate(tenant_id=tenant_id, automation_id=automation.id, now=datetime.now(UTC))


async def _baseline(
    connection: asyncpg.Connection, tenant_id: UUID, events: list[dict[str, Any]]
) -> tuple[float, float]:
    """Seconds of the hand-written processing, and of the grants and messages written by hand."""
    await baseline.copy_events(connection, tenant_id, "bench", events)
    started = time.perf_counter()
    await baseline.process_all(connection, tenant_id)
    processed = time.perf_counter() - started
    started = time.perf_counter()
    async with connection.transaction():
        await connection.execute(_BASELINE_GRANTS, tenant_id)
        await connection.execute(_BASELINE_MESSAGES, tenant_id)
    return processed, time.perf_counter() - started


async def _watch(
    connection: asyncpg.Connection, sampler: asyncpg.Connection, tenant_id: UUID, orders: int, limit: float
) -> tuple[Progress, Counter[str]]:
    """Poll the store's progress until every run is done and every message sent (or ``limit`` seconds)."""
    progress, statements = Progress(), Counter[str]()
    started = time.perf_counter()
    next_poll = 0.0
    while (elapsed := time.perf_counter() - started) < limit:
        for row in await sampler.fetch(_ACTIVE):
            statements[f"({row['waiting']}) " + " ".join(row["query"].split())[:200]] += 1
        if elapsed >= next_poll:
            next_poll = elapsed + 0.2
            row = dict(await connection.fetchrow(_PROGRESS, tenant_id))
            progress.last = row
            if progress.processed is None and row["pending"] == 0:
                progress.processed = elapsed
            if progress.granted is None and row["granted"] >= orders:
                progress.granted = elapsed
            if progress.first_steps is None and row["first_steps"] >= orders:
                progress.first_steps = elapsed
            if progress.sent is None and row["sent"] >= orders:
                progress.sent = elapsed
            if (
                row["pending"] == 0
                and row["runs"] >= orders
                and row["open"] == 0
                and row["sent"] >= row["messages"]
            ):
                progress.finished = elapsed
                return progress, statements
        await asyncio.sleep(0.05)
    return progress, statements


def _seconds(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f} s"


async def run(orders: int, seed: int, limit: float, prior: int) -> str:
    database_url, redis_url = await recreated_urls("revisit_bench")
    await database.migrate(database_url)
    await database.close()
    await database.init(database_url)
    events = completed_orders(orders, seed)
    connection = await asyncpg.connect(database_url)
    sampler = await asyncpg.connect(database_url)
    try:
        ours, theirs = await _store("cashback-revisit"), await _store("cashback-baseline")
        for tenant_id in (ours, theirs):
            await prefill(connection, tenant_id, prior)  # a live store: its history is in the statistics
        await connection.execute("ANALYZE")
        await _journey(ours)
        baseline_processing, baseline_writes = await _baseline(connection, theirs, events)
        environment = {
            **os.environ,
            "REVISIT_DATABASE_URL": database_url,
            "REVISIT_REDIS_URL": redis_url,
            "REVISIT_DATA_DIR": str(BENCH_DIR / "worker"),
            "REVISIT_SMS_PROVIDER": "console",
            "REVISIT_LOG_LEVEL": "WARNING",  # not one line per console SMS
            # The worker runs the code this benchmark was started from, wherever that is.
            "PYTHONPATH": os.pathsep.join(filter(None, [str(Path.cwd()), os.environ.get("PYTHONPATH")])),
        }
        queue = await create_pool(RedisSettings.from_dsn(redis_url), default_queue_name=QUEUE_NAME)
        await queue.flushdb()
        BENCH_DIR.mkdir(parents=True, exist_ok=True)
        log = (BENCH_DIR / "cashback-worker.log").open("w")
        worker = subprocess.Popen(  # noqa: ASYNC220 - started once, before anything is timed
            [str(Path(sys.executable).with_name("revisit")), "worker"],
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            await asyncio.sleep(8)  # the worker is up; its start-up reconcilers found nothing to do
            await baseline.copy_events(connection, ours, "bench", events)  # one COPY: visible all at once
            await enqueue_ingest(queue, ours)
            progress, statements = await _watch(connection, sampler, ours, orders, limit)
        finally:
            worker.terminate()
            worker.wait(30)
            log.close()
            await queue.aclose()
        return _report(orders, prior, progress, statements, baseline_processing, baseline_writes, limit)
    finally:
        await sampler.close()
        await connection.close()
        await database.close()


def _report(
    orders: int,
    prior: int,
    progress: Progress,
    statements: Counter[str],
    baseline_processing: float,
    baseline_writes: float,
    limit: float,
) -> str:
    baseline_total = baseline_processing + baseline_writes
    met = progress.first_steps is not None and progress.first_steps <= TARGET_SECONDS
    total = progress.sent or progress.finished
    lines = [
        f"Machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}. {orders:,} `order.completed` "
        f"events (synthetic store) on stores already holding {prior:,} orders (analysed), one `revisit "
        "worker` process, console SMS provider, no quiet hours or caps.",
        "",
        "| milestone (after the wake-up job) | Revisit | baseline (hand-written SQL, same data) |",
        "|---|---:|---:|",
        f"| events processed (customers, orders, runs enrolled) | {_seconds(progress.processed)} | "
        f"{baseline_processing:.1f} s |",
        f"| every order's cashback granted | {_seconds(progress.granted)} | — |",
        f"| every run's first step done (target ≤ {TARGET_SECONDS:.0f} s) | "
        f"{_seconds(progress.first_steps)} | "
        f"{baseline_total:.1f} s (processing + grants + messages) |",
        f"| every SMS sent | {_seconds(progress.sent)} | {baseline_total:.1f} s |",
        f"| all done | {_seconds(progress.finished)} | |",
        "",
        f"Target {'met' if met else 'not met'}"
        + (f"; Revisit ÷ baseline (all SMS sent): {total / baseline_total:.1f}×." if total else ".")
        + f" Last counts: {progress.last}"
        + ("" if progress.finished is not None else f" (stopped after {limit:.0f} s)."),
        "",
        "Statements most often running while the worker worked (samples every 50 ms):",
        "",
    ]
    for query, count in statements.most_common(8):
        lines.append(f"- {count} × `{query}`")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1403)
    parser.add_argument("--limit", type=float, default=900.0, help="Give up after this many seconds.")
    parser.add_argument(
        "--prior",
        type=int,
        default=10_000,
        help="Completed orders each store already holds (0: a new store).",
    )
    args = parser.parse_args()
    print(asyncio.run(run(args.orders, args.seed, args.limit, args.prior)))


if __name__ == "__main__":
    main()
