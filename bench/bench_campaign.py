"""Campaign benchmark: a 100,000-recipient campaign through a local Kavenegar-protocol server, with a
second store's journey latency beside it, and the same campaign again with the worker SIGKILLed 5 times.

    uv run python -m bench.bench_campaign [--customers 120000] [--kills 5] [--latency 0.02]

The big store is written by :mod:`bench.scale_store` (COPY; about 95 % of its customers have a phone, each
a different one) with no quiet hours, no caps and the opt-out consent rule, its wallet topped up and its
ledger holding the charges of the SMS it sent before, analysed (a live store, not one born this second); the
campaign (every customer) is launched by the real :func:`domain.campaigns.launch.launch`. The local
Kavenegar server (``tests/support/kavenegar_server``, in this process's own thread) takes at most 200
messages a ``sendarray`` call and answers each call 20 ms late, like a real API's round trip; it counts
every message it takes and every local id sent again.

1. **The server's ceiling**: a bare client in its own process — no database — posts ``sendarray`` calls of
   200 messages, as many in flight at once as dispatch keeps (``IN_FLIGHT``), until it has handed
   over as many messages as the campaign has. Messages per second is the ceiling dispatch is held to.
2. **Idle latency**: one real ``revisit worker`` process (the production jobs; Kavenegar as the platform's
   provider, pointed at the server) runs; a second, small store has an active journey (a transactional
   SMS on ``customer.created``); probes (one new customer each) are stored and woken one at a time and
   timed from the wake-up to their SMS ``sent``.
3. **The campaign**: launched, then timed from the dispatch wake-up until every message is ``sent``,
   while the probes go on every half second. Checked: the server took each message once, none missing,
   the wallet charged exactly parts × price for what was sent.
4. **Kills**: a second campaign to the same audience, the worker SIGKILLed ``--kills`` times while a
   chunk of its own is with the provider and started again; the same checks.

Uses REVISIT_BENCH_DATABASE_URL / REVISIT_BENCH_REDIS_URL (the database is dropped and recreated) or the
embedded services under .revisit/bench. Prints Markdown for bench/RESULTS.md; the worker's logs are
.revisit/bench/campaign-worker-*.log.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import asyncpg
import httpx
from arq import create_pool
from arq.connections import ArqRedis, RedisSettings

from bench import baseline
from bench.databases import BENCH_DIR, recreated_urls
from bench.scale_store import write_store
from domain.automation import service as journeys
from domain.billing import wallet
from domain.campaigns import launch, lifecycle, service
from domain.campaigns.dispatch import CHUNK_BATCHES, SEND_CONCURRENCY
from domain.campaigns.dispatch_claims import CLAIM_LEASE
from domain.tenancy import service as tenancy
from domain.tenancy.models import Tenant
from jobs.campaign_dispatch import enqueue_dispatch
from jobs.queue import QUEUE_NAME, enqueue_ingest
from revisit import database
from tests.support.kavenegar_server import KavenegarServer

API_KEY = "bench-campaign-kavenegar-key"
LINE = "10008663"
TARGET_SECONDS = 30.0
TARGET_RATIO = 0.7
PROBE_EVERY = 0.5
IN_FLIGHT = SEND_CONCURRENCY * CHUNK_BATCHES
"""Provider calls dispatch keeps in flight for one store, and so the bare client."""
WELCOME: dict[str, Any] = {
    "trigger": {"type": "event", "event": "customer.created"},
    "steps": [{"id": "welcome", "type": "send_sms", "template": "{first_name} عزیز، به {store} خوش آمدید"}],
}

_PROGRESS = """
SELECT count(*) FILTER (WHERE status = 'sent') AS sent, count(*) FILTER (WHERE status = 'queued') AS queued,
       count(*) FILTER (WHERE status NOT IN ('sent', 'queued')) AS other, count(*) AS messages,
       coalesce(sum(parts) FILTER (WHERE status = 'sent'), 0) AS parts
FROM outbound_messages WHERE tenant_id = $1 AND campaign_id = $2
"""
_PAST_CHARGES = """
INSERT INTO wallet_entries (id, tenant_id, kind, charge_kind, amount, balance_delta, reserved_delta,
    idempotency_key, unit_price, quantity, note, created_at)
SELECT gen_random_uuid(), tenant_id, 'charge', 'sms', parts * $2, -parts * $2, 0, 'sms:' || id, $2, parts, '',
    coalesce(sent_at, created_at)
FROM outbound_messages WHERE tenant_id = $1 AND status = 'sent'
"""
_WALLET_SUMS = """
UPDATE wallets SET balance = (SELECT sum(balance_delta) FROM wallet_entries WHERE tenant_id = $1)
WHERE tenant_id = $1
"""
_IN_FLIGHT = """
SELECT EXISTS (SELECT 1 FROM outbound_messages
               WHERE tenant_id = $1 AND campaign_id = $2 AND status = 'queued' AND claimed_until > $3)
"""


@dataclass
class Check:
    """What the server took of one campaign, beside what Revisit recorded and charged."""

    seconds: float
    messages: int
    sent: int
    taken: int
    duplicates: int
    missing: int
    resubmitted: int
    charged: int
    expected_charge: int
    refunds: int

    @property
    def exact(self) -> bool:
        return (
            self.duplicates == 0
            and self.missing == 0
            and self.sent == self.messages == self.taken
            and self.charged == self.expected_charge
        )


@dataclass
class Probes:
    """Journey latencies (wake-up → SMS sent) of the small store, in seconds."""

    seconds: list[float] = field(default_factory=list)

    def summary(self) -> str:
        if not self.seconds:
            return "—"
        ordered = sorted(self.seconds)
        p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
        return (
            f"median {statistics.median(ordered) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms (n={len(ordered)})"
        )


class Worker:
    """``revisit worker`` with Kavenegar as the platform's provider, pointed at the local server."""

    def __init__(self, database_url: str, redis_url: str, kavenegar: KavenegarServer) -> None:
        self.environment = {
            **os.environ,
            "REVISIT_DATABASE_URL": database_url,
            "REVISIT_REDIS_URL": redis_url,
            "REVISIT_DATA_DIR": str(BENCH_DIR / "worker"),
            "REVISIT_SMS_PROVIDER": "kavenegar",
            "REVISIT_KAVENEGAR_API_KEY": API_KEY,
            "REVISIT_KAVENEGAR_BASE_URL": kavenegar.base_url,
            "REVISIT_KAVENEGAR_SENDER": LINE,
            "REVISIT_SMS_TIMEOUT_SECONDS": "5",
            "REVISIT_LOG_LEVEL": os.environ.get("REVISIT_BENCH_WORKER_LOG_LEVEL", "WARNING"),
            "REVISIT_WORKER_METRICS_PORT": "0",
            "PYTHONPATH": os.pathsep.join(filter(None, [str(Path.cwd()), os.environ.get("PYTHONPATH")])),
        }
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        with (BENCH_DIR / f"campaign-worker-{self.starts}.log").open("wb") as log:
            self.process = subprocess.Popen(
                [str(Path(sys.executable).with_name("revisit")), "worker"],
                env=self.environment,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def kill(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(30)
            self.process = None

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(30)
            self.process = None


async def _big_store(connection: asyncpg.Connection, customers: int) -> Tenant:
    written = await write_store(connection, customers=customers, orders=customers, seed=1403)
    await Tenant.filter(id=written.tenant_id).update(
        quiet_hours_start=0,
        quiet_hours_end=0,
        marketing_daily_cap=None,
        marketing_weekly_cap=None,
        consent_mode="opt_out",
        country="IR",
    )
    await wallet.top_up(written.tenant_id, amount=10**12, key="bench-top-up", reference="bench")
    # A live store's ledger holds the charges of the SMS it sent before (its statistics know it).
    async with connection.transaction():
        await connection.execute(_PAST_CHARGES, written.tenant_id, 1500)
        await connection.execute(_WALLET_SUMS, written.tenant_id)
    return await Tenant.get(id=written.tenant_id)


async def _small_store() -> Tenant:
    _, tenant = await tenancy.register_owner(
        email="journeys@bench.example",
        password="benchmark-password",
        full_name="Bench",
        tenant_in=tenancy.TenantIn(name="journeys", currency="IRT", timezone="Asia/Tehran"),
    )
    await Tenant.filter(id=tenant.id).update(quiet_hours_start=0, quiet_hours_end=0)
    await wallet.top_up(tenant.id, amount=10**9, key="bench-top-up", reference="bench")
    definition = await journeys.validated(tenant_id=tenant.id, raw=WELCOME)
    automation = await journeys.create(tenant_id=tenant.id, name="Welcome", definition=definition)
    await journeys.activate(tenant_id=tenant.id, automation_id=automation.id, now=datetime.now(UTC))
    return await Tenant.get(id=tenant.id)


async def _campaign(tenant: Tenant, name: str) -> UUID:
    now = datetime.now(UTC)
    draft = await service.create(
        tenant_id=tenant.id,
        draft=service.CampaignDraft(name=name, template="{first_name} عزیز، حراج پاییزه {store} شروع شد"),
        now=now,
    )
    campaign = await launch.launch(tenant_id=tenant.id, campaign_id=draft.id, now=now)
    return campaign.id


async def _probe(connection: asyncpg.Connection, queue: ArqRedis, tenant: Tenant, number: int) -> float:
    """One new customer of the small store: seconds from its wake-up until its welcome SMS is sent."""
    event = {
        "id": f"probe-{number}",
        "type": "customer.created",
        "occurred_at": datetime.now(UTC).isoformat(),
        "data": {"external_id": f"probe-{number}", "phone": f"+98935{number:07d}", "first_name": "سارا"},
    }
    await baseline.copy_events(connection, tenant.id, "bench", [event])
    started = time.perf_counter()
    await enqueue_ingest(queue, tenant.id)
    while time.perf_counter() - started < 60:
        sent = await connection.fetchval(
            "SELECT EXISTS (SELECT 1 FROM outbound_messages m JOIN customers c ON c.tenant_id = m.tenant_id "
            "AND c.id = m.customer_id WHERE m.tenant_id = $1 AND c.external_id = $2 AND m.status = 'sent')",
            tenant.id,
            f"probe-{number}",
        )
        if sent:
            return time.perf_counter() - started
        await asyncio.sleep(0.01)
    return time.perf_counter() - started


async def _check(
    connection: asyncpg.Connection,
    kavenegar: KavenegarServer,
    tenant: Tenant,
    campaign_id: UUID,
    seconds: float,
    resubmitted: int,
) -> Check:
    rows = await connection.fetch(
        "SELECT id::text AS id, parts FROM outbound_messages WHERE tenant_id = $1 AND campaign_id = $2",
        tenant.id,
        campaign_id,
    )
    ids = {row["id"] for row in rows}
    taken = [(localid, receptor) for localid, receptor in kavenegar.taken_log if localid in ids]
    receptors = [receptor for _, receptor in taken]
    progress = await connection.fetchrow(_PROGRESS, tenant.id, campaign_id)
    net = await connection.fetchval(
        "SELECT coalesce(sum(CASE WHEN e.kind = 'charge' THEN e.amount ELSE -e.amount END), 0) "
        "FROM wallet_entries e JOIN outbound_messages m ON e.idempotency_key IN ('sms:' || m.id, "
        "'refund:sms:' || m.id) WHERE e.tenant_id = $1 AND m.tenant_id = $1 AND m.campaign_id = $2",
        tenant.id,
        campaign_id,
    )
    refunds = await connection.fetchval(
        "SELECT count(*) FROM wallet_entries e JOIN outbound_messages m ON e.idempotency_key = "
        "'refund:sms:' || m.id WHERE e.tenant_id = $1 AND m.tenant_id = $1 AND m.campaign_id = $2",
        tenant.id,
        campaign_id,
    )
    price = await connection.fetchval(
        "SELECT unit_price FROM wallet_entries WHERE tenant_id = $1 AND kind = 'charge' "
        "AND charge_kind = 'sms' LIMIT 1",
        tenant.id,
    )
    return Check(
        seconds=seconds,
        messages=len(rows),
        sent=int(progress["sent"]),
        taken=len(taken),
        duplicates=len(receptors) - len(set(receptors)),
        missing=len(ids - {localid for localid, _ in taken}),
        resubmitted=resubmitted,
        charged=int(net),
        expected_charge=int(progress["parts"]) * int(price or 0),
        refunds=int(refunds),
    )


async def _until_sent(
    connection: asyncpg.Connection,
    tenant: Tenant,
    campaign_id: UUID,
    limit: float,
    during: Any = None,
) -> float:
    started = time.perf_counter()
    while time.perf_counter() - started < limit:
        progress = await connection.fetchrow(_PROGRESS, tenant.id, campaign_id)
        if progress["queued"] == 0:
            return time.perf_counter() - started
        if during is not None:
            await during()
        await asyncio.sleep(0.05)
    return float("nan")


def bare_client(base_url: str, messages: int, concurrency: int) -> float:
    """The ceiling: a client with no database posting ``sendarray`` calls, ``concurrency`` at once."""
    return float(
        subprocess.run(
            [
                sys.executable,
                "-m",
                "bench.bench_campaign",
                "--bare",
                base_url,
                str(messages),
                str(concurrency),
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )


async def _bare(base_url: str, messages: int, concurrency: int) -> float:
    batches = [
        [f"bare-{start + n}" for n in range(min(200, messages - start))] for start in range(0, messages, 200)
    ]
    url = f"{base_url}/v1/{API_KEY}/sms/sendarray.json"
    async with httpx.AsyncClient(timeout=10) as client:
        pending = list(reversed(batches))

        async def lane() -> None:
            while pending:
                batch = pending.pop()
                form = {
                    "receptor": json.dumps([f"+98912{int(local.split('-')[1]):07d}" for local in batch]),
                    "message": json.dumps(["سارا عزیز، حراج پاییزه فروشگاه شروع شد\nلغو۱۱"] * len(batch)),
                    "sender": json.dumps([LINE] * len(batch)),
                    "localmessageids": json.dumps(batch),
                }
                response = await client.post(url, data=form)
                response.raise_for_status()

        started = time.perf_counter()
        await asyncio.gather(*(lane() for _ in range(concurrency)))
        return time.perf_counter() - started


async def run(customers: int, kills: int, latency: float, limit: float) -> str:
    database_url, redis_url = await recreated_urls("revisit_bench")
    await database.migrate(database_url)
    await database.close()
    await database.init(database_url)
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    connection = await asyncpg.connect(database_url)
    kavenegar = KavenegarServer(API_KEY, latency=latency, max_batch=200)
    kavenegar.start()
    queue = await create_pool(RedisSettings.from_dsn(redis_url), default_queue_name=QUEUE_NAME)
    await queue.flushdb()
    worker = Worker(database_url, redis_url, kavenegar)
    try:
        big = await _big_store(connection, customers)
        small = await _small_store()
        await connection.execute("ANALYZE")
        first = await _campaign(big, "Autumn sale")
        recipients = await connection.fetchval(
            "SELECT count(*) FROM outbound_messages WHERE campaign_id = $1", first
        )
        await lifecycle.pause(tenant_id=big.id, campaign_id=first)  # until the worker is up and timed
        ceiling_seconds = await asyncio.to_thread(bare_client, kavenegar.base_url, recipients, IN_FLIGHT)
        kavenegar.reset()

        worker.start()
        await asyncio.sleep(6)  # the worker is up; its start-up crons found nothing to send
        idle, busy = Probes(), Probes()
        for number in range(20):
            idle.seconds.append(await _probe(connection, queue, small, number))
            await asyncio.sleep(0.1)

        probe_number = 1000
        last_probe = 0.0

        async def probe_meanwhile() -> None:
            nonlocal probe_number, last_probe
            if time.perf_counter() - last_probe >= PROBE_EVERY:
                last_probe = time.perf_counter()
                busy.seconds.append(await _probe(connection, queue, small, probe_number))
                probe_number += 1

        await lifecycle.resume(tenant_id=big.id, campaign_id=first)
        await enqueue_dispatch(queue, big.id)
        campaign_seconds = await _until_sent(connection, big, first, limit, probe_meanwhile)
        clean = await _check(connection, kavenegar, big, first, campaign_seconds, kavenegar.resubmitted)
        worker.stop()

        second = await _campaign(big, "Autumn sale, again")
        kavenegar.reset()
        started = time.perf_counter()
        for _ in range(kills):
            moment = datetime.now(UTC)
            worker.start()
            await enqueue_dispatch(queue, big.id)
            while not await connection.fetchval(_IN_FLIGHT, big.id, second, moment + CLAIM_LEASE):  # noqa: ASYNC110 - polls PostgreSQL
                await asyncio.sleep(0.02)
            await asyncio.sleep(0.3)
            worker.kill()
        worker.start()
        await enqueue_dispatch(queue, big.id)
        kill_seconds = await _until_sent(connection, big, second, limit) + (time.perf_counter() - started)
        killed = await _check(connection, kavenegar, big, second, kill_seconds, kavenegar.resubmitted)
    finally:
        worker.stop()
        kavenegar.stop()
        await queue.aclose()
        await connection.close()
        await database.close()
    return _report(customers, recipients, latency, ceiling_seconds, clean, killed, kills, idle, busy)


def _report(
    customers: int,
    recipients: int,
    latency: float,
    ceiling_seconds: float,
    clean: Check,
    killed: Check,
    kills: int,
    idle: Probes,
    busy: Probes,
) -> str:
    ceiling = recipients / ceiling_seconds
    rate = recipients / clean.seconds
    met = clean.seconds <= TARGET_SECONDS and rate >= TARGET_RATIO * ceiling
    lines = [
        f"Machine: {os.cpu_count()} cores (shared), Python {sys.version.split()[0]}. A store of "
        f"{customers:,} customers (bench.scale_store), a campaign to every one it may reach: {recipients:,} "
        "messages. Local Kavenegar-protocol server: 200 messages a `sendarray` call, "
        f"{latency * 1000:.0f} ms a call; {IN_FLIGHT} calls in flight at once (the bare client and "
        "dispatch alike). One `revisit worker`; a killed worker's restart (a new process, ~10 s to start "
        "here) is in its run's time.",
        "",
        "| | seconds | messages/s | ÷ ceiling |",
        "|---|---:|---:|---:|",
        f"| server ceiling (bare client, no database) | {ceiling_seconds:.1f} | {ceiling:,.0f} | 1.00 |",
        f"| campaign dispatched by Revisit (target ≤ {TARGET_SECONDS:.0f} s, ≥ {TARGET_RATIO}×) | "
        f"{clean.seconds:.1f} | {rate:,.0f} | {rate / ceiling:.2f} |",
        f"| the same campaign again, worker SIGKILLed {kills}× and restarted | {killed.seconds:.1f} | "
        f"{recipients / killed.seconds:,.0f} | {recipients / killed.seconds / ceiling:.2f} |",
        "",
        f"Target {'met' if met else 'not met'}.",
        "",
        "| run | messages | sent | taken by the server | duplicates | missing | sent again (deduped) | "
        "charged (IRR) | parts × price | refunds |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, check in (("clean", clean), (f"{kills} kills", killed)):
        lines.append(
            f"| {name} | {check.messages:,} | {check.sent:,} | {check.taken:,} | {check.duplicates} | "
            f"{check.missing} | {check.resubmitted} | {check.charged:,} | {check.expected_charge:,} | "
            f"{check.refunds} | {'exact' if check.exact else 'NOT EXACT'}"
        )
    lines += [
        "",
        "A second store's journey (a transactional SMS on `customer.created`), wake-up → SMS sent:",
        "",
        f"- idle: {idle.summary()}",
        f"- during the campaign: {busy.summary()}",
    ]
    return "\n".join(lines)


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--bare":
        print(asyncio.run(_bare(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))))
        return
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=120_000)
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--latency", type=float, default=0.02)
    parser.add_argument("--limit", type=float, default=600.0, help="Give up on a campaign after this many s.")
    args = parser.parse_args()
    print(asyncio.run(run(args.customers, args.kills, args.latency, args.limit)))


if __name__ == "__main__":
    main()
