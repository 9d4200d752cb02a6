"""Receiving benchmark: ``POST /rest/v1/events`` beside one raw COPY of the same rows, same run.

    uv run python -m bench.bench_receiving [--orders 10000] [--repeat 3]

The synthetic store's events go to the real REST route in batches of 500 (the ASGI app in this
process, through httpx: validation, storage and the per-event answers included), and, for the
baseline, to the same table with asyncpg's COPY (no validation, no answers). Each repetition uses a
fresh store, so both write into the same, growing table with the same indexes.

Uses the embedded PostgreSQL and Redis under .revisit/bench (or REVISIT_BENCH_DATABASE_URL and
REVISIT_BENCH_REDIS_URL), a fresh database each run. Prints Markdown for bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import statistics
import sys
import time

import asyncpg
import httpx

from bench import baseline
from bench.bench_processing import BENCH_DIR, END, _store, _urls
from bench.synthetic import batches, generate
from domain.tenancy import service as tenancy
from revisit import database
from revisit.app import create_app
from revisit.services import ServiceUrls
from revisit.settings import Settings


async def run(orders: int, repeat: int) -> str:
    database_url, redis_url = _urls()
    await database.migrate(database_url)
    await database.close()
    await database.init(database_url)
    events = generate(customers=max(1, orders // 5), orders=orders, end=END).events
    urls = ServiceUrls(
        database_url=database_url, redis_url=redis_url, embedded_database=True, embedded_redis=True
    )
    app = create_app(Settings(data_dir=BENCH_DIR, secret_key="b" * 48), urls, manage_database=False)
    connection = await asyncpg.connect(database_url)
    ours: list[float] = []
    theirs: list[float] = []
    latencies: list[float] = []
    try:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client,
        ):
            for round_number in range(repeat):
                copy_store = await _store(f"copy-{round_number}")
                started = time.perf_counter()
                for batch in batches(events, 500):
                    await baseline.copy_events(connection, copy_store, "bench", batch)
                theirs.append(time.perf_counter() - started)

                rest_store = await _store(f"rest-{round_number}")
                _, token = await tenancy.create_store_key(tenant_id=rest_store, name="bench")
                headers = {"Authorization": f"Bearer {token}"}
                started = time.perf_counter()
                for batch in batches(events, 500):
                    sent = time.perf_counter()
                    response = await client.post("/rest/v1/events", json={"events": batch}, headers=headers)
                    latencies.append(time.perf_counter() - sent)
                    if response.status_code != 202:
                        raise RuntimeError(response.text)
                ours.append(time.perf_counter() - started)
                await app.state.queue.flushdb()  # nothing processes here
    finally:
        await connection.close()
        await database.close()
    rest_rate = [len(events) / seconds for seconds in ours]
    copy_rate = [len(events) / seconds for seconds in theirs]
    latencies.sort()
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return "\n".join(
        [
            f"{len(events):,} events ({orders:,} synthetic orders), batches of 500, {repeat} repetitions "
            f"(median, then each), Python {sys.version.split()[0]}.",
            "",
            "| measure | REST (`POST /rest/v1/events`) | raw COPY | REST ÷ COPY |",
            "|---|---:|---:|---:|",
            f"| events/s | {_rates(rest_rate)} | {_rates(copy_rate)} | "
            f"{statistics.median(rest_rate) / statistics.median(copy_rate):.2f} |",
            f"| latency per 500-event batch | median {latencies[len(latencies) // 2] * 1000:,.0f} ms, "
            f"p95 {latencies[int(len(latencies) * 0.95)] * 1000:,.0f} ms | | |",
            f"| peak RSS of the process | {peak_mib:,.0f} MiB | | |",
        ]
    )


def _rates(rates: list[float]) -> str:
    return f"{statistics.median(rates):,.0f} ({', '.join(f'{rate:,.0f}' for rate in rates)})"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orders", type=int, default=10000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(asyncio.run(run(args.orders, args.repeat)))


if __name__ == "__main__":
    main()
