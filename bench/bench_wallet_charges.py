"""Wallet charges benchmark: a campaign chunk of SMS charged set-based, beside one charge per message.

    uv run python -m bench.bench_wallet_charges [--chunk 1000] [--chunks 5] [--repetitions 3]

In a fresh database (the embedded PostgreSQL under .revisit/bench, or REVISIT_BENCH_DATABASE_URL), one store
with a funded wallet and a reservation; then, per repetition, ``--chunks`` chunks of ``--chunk`` messages:

* Revisit: :func:`domain.billing.charging.charge_messages` per chunk in its own transaction — the tariff
  read, the wallet row locked, one look-up of the keys already charged, one ``INSERT … FROM unnest`` of
  the chunk's lines, the reservation and the wallet row updated, the low-balance check;
* the one-by-one path it replaces: :func:`domain.billing.wallet.charge` once per message, all of a chunk in
  one transaction (the same lock, check and key per message, a round trip or more each);
* the floor: a bare ``INSERT … FROM unnest`` of the same rows into ``wallet_entries`` (no lock, no check,
  no sums).

Checked every time: the ledger's sums equal the cached wallet row, and every message was charged once.
Prints a Markdown table for bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from uuid import uuid4

from tortoise import connections
from tortoise.transactions import in_transaction

from bench.databases import fresh_database_url
from domain.billing import charging, wallet
from domain.billing.models import WalletEntry
from domain.tenancy import service as tenancy
from domain.tenancy.models import Tenant
from revisit import database

DATABASE = "revisit_bench_wallet"
PARTS = 2
PRICE = 1_500


_FLOOR = """
INSERT INTO wallet_entries (id, tenant_id, kind, charge_kind, amount, balance_delta, reserved_delta,
  idempotency_key, unit_price, quantity, note, created_at)
SELECT gen_random_uuid(), $1, 'charge', 'sms', $3::int8, -$3::int8, 0, k, $4::int8, $5::int4, '', now()
FROM unnest($2::text[]) AS k
"""


async def set_based(tenant: Tenant, chunk: int, chunks: int) -> float:
    started = time.perf_counter()
    for _ in range(chunks):
        messages = [(uuid4(), PARTS) for _ in range(chunk)]
        async with in_transaction() as connection:
            assert await charging.charge_messages(connection, tenant, messages, reservation_key="campaign")
    return time.perf_counter() - started


async def one_by_one(tenant: Tenant, chunk: int, chunks: int) -> float:
    started = time.perf_counter()
    for _ in range(chunks):
        async with in_transaction() as connection:
            for _ in range(chunk):
                await wallet.charge(
                    tenant.id,
                    amount=PARTS * PRICE,
                    key=f"sms:{uuid4()}",
                    kind="sms",
                    reservation_key="campaign",
                    unit_price=PRICE,
                    quantity=PARTS,
                    connection=connection,
                )
    return time.perf_counter() - started


async def floor(tenant: Tenant, chunk: int, chunks: int) -> float:
    started = time.perf_counter()
    for _ in range(chunks):
        async with in_transaction() as connection:
            keys = [f"floor:{uuid4()}" for _ in range(chunk)]
            await connection.execute_query(_FLOOR, [tenant.id, keys, PARTS * PRICE, PRICE, PARTS])
    return time.perf_counter() - started


async def run(chunk: int, chunks: int, repetitions: int) -> str:
    url = fresh_database_url(DATABASE)
    await database.migrate(url)
    await database.close()
    await database.init(url)
    rows: list[tuple[int, float, float, float]] = []
    try:
        for repetition in range(1, repetitions + 1):
            tenant = await tenancy.create_tenant(tenant_in=tenancy.TenantIn(name=f"Bench {repetition}"))
            await wallet.top_up(tenant.id, amount=10**13, key="bench", reference="bench")
            await wallet.reserve(tenant.id, amount=10**12, key="campaign")
            revisit = await set_based(tenant, chunk, chunks)
            single = await one_by_one(tenant, chunk, chunks)
            await connections.get("default").execute_query("SELECT 1")
            cached = await wallet.balance(tenant.id)
            assert await wallet.ledger_sums(tenant.id) == cached, "the cached sums left the ledger"
            charged = await WalletEntry.filter(tenant_id=tenant.id, kind="charge").count()
            assert charged == 2 * chunk * chunks, charged
            base = await floor(tenant, chunk, chunks)
            rows.append((repetition, revisit, single, base))
    finally:
        await database.close()
    messages = chunk * chunks
    lines = [
        f"Charging {messages:,} SMS ({chunks} chunks of {chunk:,}, {PARTS} parts each) from a reservation.",
        "",
        "| run | set-based (Revisit) | one charge per message | bare INSERT of the rows "
        "| one-by-one ÷ set-based | set-based ÷ bare |",
        "|---|---|---|---|---|---|",
    ]
    for repetition, revisit, single, base in rows:
        lines.append(
            f"| {repetition} | {revisit:.3f} s | {single:.3f} s | {base:.3f} s | {single / revisit:.1f}× | "
            f"{revisit / base:.1f}× |"
        )
    revisit = statistics.median(row[1] for row in rows)
    single = statistics.median(row[2] for row in rows)
    base = statistics.median(row[3] for row in rows)
    lines.append(
        f"| median | {revisit:.3f} s ({messages / revisit:,.0f} SMS/s) | {single:.3f} s | {base:.3f} s | "
        f"{single / revisit:.1f}× | {revisit / base:.1f}× |"
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunk", type=int, default=1000)
    parser.add_argument("--chunks", type=int, default=5)
    parser.add_argument("--repetitions", type=int, default=3)
    args = parser.parse_args()
    print(asyncio.run(run(args.chunk, args.chunks, args.repetitions)))


if __name__ == "__main__":
    main()
