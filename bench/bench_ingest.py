"""Ingestion benchmark: events in through the real REST route, then processed into rows and runs.

    uv run python -m bench.bench_ingest [--customers 2000] [--orders 10000]

Uses the embedded PostgreSQL under .revisit/bench (or REVISIT_BENCH_DATABASE_URL), a fresh database
each run, a synthetic store from bench.synthetic, and an active 5 % cashback automation so every
completed order enrols a run. Prints a Markdown table of figures for bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import resource
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

from bench.synthetic import batches, generate
from domain.automation import service as automations
from domain.automation.definition import AutomationDefinition
from domain.automation.models import AutomationRun
from domain.events.processing import drain
from domain.tenancy import service as tenancy
from revisit import database, embedded
from revisit.app import create_app
from revisit.services import ServiceUrls
from revisit.settings import Settings

BENCH_DIR = Path(".revisit/bench")
CASHBACK = {
    "trigger": "order.completed",
    "conditions": [],
    "steps": [
        {"type": "grant_cashback", "percent": "5", "cap": 200000, "available_after_days": 0},
        {"type": "send_sms", "template": "{first_name} عزیز، {credit} اعتبار گرفتید. موجودی: {balance}"},
    ],
}


def _fresh_database() -> str:
    external = os.environ.get("REVISIT_BENCH_DATABASE_URL")
    if external:
        return external
    embedded.postgres_url(BENCH_DIR, database="postgres")
    embedded.postgres_server(BENCH_DIR).psql('DROP DATABASE IF EXISTS "revisit_bench" WITH (FORCE);')
    return embedded.postgres_url(BENCH_DIR, database="revisit_bench")


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def run(customers: int, orders: int) -> list[tuple[str, str]]:
    urls = ServiceUrls(
        database_url=_fresh_database(),
        redis_url=embedded.redis_url(BENCH_DIR),
        embedded_database=True,
        embedded_redis=True,
    )
    await database.migrate(urls.database_url)
    await database.close()
    await database.init(urls.database_url)
    store = generate(customers=customers, orders=orders, end=datetime(2026, 11, 1, tzinfo=UTC))
    _, tenant = await tenancy.register_owner(
        email="bench@example.com",
        password="benchmark-password",
        full_name="Bench",
        tenant_in=tenancy.TenantIn(name="Bench store", currency="IRT"),
    )
    automation = await automations.create(
        tenant_id=tenant.id, name="Cashback", definition=AutomationDefinition.model_validate(CASHBACK)
    )
    await automations.activate(tenant_id=tenant.id, automation_id=automation.id, now=datetime.now(UTC))
    _, token = await tenancy.create_store_key(tenant_id=tenant.id, name="bench")

    app = create_app(Settings(data_dir=BENCH_DIR, secret_key="b" * 48), urls, manage_database=False)
    latencies: list[float] = []
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client,
    ):
        started = time.perf_counter()
        for batch in batches(store.events, 500):
            sent = time.perf_counter()
            response = await client.post(
                "/rest/v1/events", json={"events": batch}, headers={"Authorization": f"Bearer {token}"}
            )
            latencies.append(time.perf_counter() - sent)
            assert response.status_code == 202, response.text
        ingest_seconds = time.perf_counter() - started
        await app.state.queue.flushdb()  # the benchmark processes in-process below, not through a worker

    started = time.perf_counter()
    processed = (await drain(tenant_id=tenant.id)).handled
    process_seconds = time.perf_counter() - started
    runs = await AutomationRun.filter(tenant_id=tenant.id).count()
    await database.close()

    latencies.sort()
    p95 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.95))]
    events = len(store.events)
    return [
        ("machine", f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"),
        ("synthetic store", f"{customers} customers, {orders} orders, {events} events"),
        ("REST ingest (batches of 500)", f"{events / ingest_seconds:,.0f} events/s"),
        (
            "REST ingest latency per 500-event batch",
            f"median {latencies[len(latencies) // 2] * 1000:,.0f} ms, p95 {p95 * 1000:,.0f} ms",
        ),
        ("processing into customers/orders/runs", f"{processed / process_seconds:,.0f} events/s"),
        ("automation runs enrolled", f"{runs}"),
        ("peak RSS of the benchmark process", f"{_peak_rss_mib():,.0f} MiB"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--orders", type=int, default=10000)
    args = parser.parse_args()
    rows = asyncio.run(run(args.customers, args.orders))
    print("| measure | figure |\n|---|---|")
    for name, figure in rows:
        print(f"| {name} | {figure} |")


if __name__ == "__main__":
    main()
