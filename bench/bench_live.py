"""Live status benchmark: what a notice costs the work it reports on, and how one process fans it out.

    uv run python -m bench.bench_live [--batches 40] [--listeners 1000] [--notices 200]

- **Publishing on the hot path**: ``--batches`` batches of 500 events stored through the domain's
  ``store_events`` (the REST route's work) — the baseline — and the one ``revisit.live.publish`` each
  batch adds, timed right after it (so with whatever the batch left the event loop to finish); the
  figure is the publish as a share of the batch. Then publishes with nothing else running, beside a
  bare Redis ``PUBLISH`` of the same payload.
- **Fan-out**: ``--listeners`` local listeners of one store's monitor in one :class:`LiveHub` (one
  Redis subscription), ``--notices`` notices published one after the other, each timed until every
  listener has it; beside the same notices to one bare redis-py pub/sub subscriber (Redis's own round
  trip).

Uses the embedded PostgreSQL and Redis under .revisit/bench (or REVISIT_BENCH_DATABASE_URL and
REVISIT_BENCH_REDIS_URL), a fresh database each run. Prints Markdown for bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid
from collections.abc import Sequence

from arq import create_pool
from arq.connections import ArqRedis, RedisSettings

from bench.bench_processing import END, _store, _urls
from bench.synthetic import batches, generate
from domain.events.service import store_events
from jobs.queue import QUEUE_NAME
from revisit import database
from revisit.live import Listener, LiveHub, monitor_channel, publish


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def _p(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


async def hot_path(redis: ArqRedis, batch_count: int) -> tuple[list[float], list[float]]:
    """Seconds per 500-event batch stored, and per publish announcing it."""
    events = generate(customers=batch_count * 100, orders=batch_count * 400, end=END).events
    tenant_id = await _store(f"live-{uuid.uuid4().hex[:8]}")
    stored, published = [], []
    for batch in list(batches(events, 500))[:batch_count]:
        started = time.perf_counter()
        result = await store_events(tenant_id=tenant_id, source="api", raw_events=batch)
        stored.append(time.perf_counter() - started)
        started = time.perf_counter()
        await publish(redis, monitor_channel(tenant_id), {"events_received": result.accepted})
        published.append(time.perf_counter() - started)
    return stored, published


async def quiet_publishes(redis: ArqRedis, count: int) -> tuple[list[float], list[float]]:
    """Seconds per ``publish`` and per bare ``PUBLISH`` of the same payload, nothing else running."""
    ours, bare = [], []
    channel = monitor_channel(uuid.uuid4())
    for _ in range(count):
        started = time.perf_counter()
        await publish(redis, channel, {"events_received": 500})
        ours.append(time.perf_counter() - started)
        started = time.perf_counter()
        await redis.publish(channel, b'{"counts":{"events_received":500}}')
        bare.append(time.perf_counter() - started)
    return ours, bare


async def _all_have_it(listeners: Sequence[Listener]) -> None:
    for listener in listeners:
        while await listener.wait(within=10) is None:
            pass


async def fan_out(redis: ArqRedis, listener_count: int, notices: int) -> tuple[list[float], int]:
    """Seconds from each publish until every local listener has it; Redis subscriptions meanwhile."""
    hub, channel = LiveHub(redis), monitor_channel(uuid.uuid4())
    spans: list[float] = []
    async with asyncio.TaskGroup() as group:
        entered = asyncio.Event()
        done = asyncio.Event()
        listeners: list[Listener] = []

        async def listen() -> None:
            async with hub.listen(channel) as listener:
                listeners.append(listener)
                if len(listeners) == listener_count:
                    entered.set()
                await done.wait()

        for _ in range(listener_count):
            group.create_task(listen())
        await entered.wait()
        [(_, subscriptions)] = await redis.pubsub_numsub(channel)
        for _ in range(notices):
            started = time.perf_counter()
            await publish(redis, channel, {"events_received": 1})
            await _all_have_it(listeners)
            spans.append(time.perf_counter() - started)
        done.set()
    return spans, int(subscriptions)


async def bare_round_trip(redis: ArqRedis, notices: int) -> list[float]:
    """Seconds from each publish until one bare redis-py subscriber reads it."""
    channel = f"bench:bare:{uuid.uuid4()}"
    spans = []
    async with redis.pubsub() as pubsub:
        await pubsub.subscribe(channel)
        while await pubsub.get_message(timeout=1.0) is None:  # the subscribe confirmation
            pass
        for _ in range(notices):
            started = time.perf_counter()
            await redis.publish(channel, b'{"counts": {"events_received": 1}}')
            while await pubsub.get_message(ignore_subscribe_messages=True, timeout=10.0) is None:
                pass
            spans.append(time.perf_counter() - started)
    return spans


async def run(batch_count: int, listener_count: int, notices: int) -> str:
    database_url, redis_url = _urls()
    await database.migrate(database_url)
    await database.close()
    await database.init(database_url)
    redis = await create_pool(RedisSettings.from_dsn(redis_url), default_queue_name=QUEUE_NAME)
    try:
        stored, published = await hot_path(redis, batch_count)
        quiet, quiet_bare = await quiet_publishes(redis, notices)
        bare = await bare_round_trip(redis, notices)
        spans, subscriptions = await fan_out(redis, listener_count, notices)
    finally:
        await redis.aclose()
        await database.close()
    store_median, publish_median = statistics.median(stored), statistics.median(published)
    bare_median, fan_median = statistics.median(bare), statistics.median(spans)
    return "\n".join(
        [
            f"`uv run python -m bench.bench_live --batches {batch_count} --listeners {listener_count} "
            f"--notices {notices}`",
            "",
            "| measure | Revisit | baseline | ratio |",
            "|---|---:|---:|---:|",
            f"| a 500-event batch: its publish ÷ storing it (median of {len(stored)}) | "
            f"{_ms(publish_median)} (p95 {_ms(_p(published, 0.95))}) | {_ms(store_median)} "
            f"(p95 {_ms(_p(stored, 0.95))}) | **{publish_median / store_median:.3f}** |",
            f"| one publish ÷ a bare Redis PUBLISH, nothing else running (median of {notices}) | "
            f"{_ms(statistics.median(quiet))} | {_ms(statistics.median(quiet_bare))} | "
            f"**{statistics.median(quiet) / statistics.median(quiet_bare):.2f}** |",
            f"| one notice to {listener_count:,} local listeners ÷ to one bare subscriber "
            f"(median of {notices}) | {_ms(fan_median)} (p95 {_ms(_p(spans, 0.95))}) | {_ms(bare_median)} "
            f"(p95 {_ms(_p(bare, 0.95))}) | **{fan_median / bare_median:.2f}** |",
            f"| Redis subscriptions of the process for those {listener_count:,} listeners | "
            f"{subscriptions} | | |",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batches", type=int, default=40)
    parser.add_argument("--listeners", type=int, default=1000)
    parser.add_argument("--notices", type=int, default=200)
    arguments = parser.parse_args()
    print(asyncio.run(run(arguments.batches, arguments.listeners, arguments.notices)))


if __name__ == "__main__":
    main()
