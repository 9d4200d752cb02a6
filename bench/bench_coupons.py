"""Coupon benchmark: bulk generation of codes beside a raw ``INSERT … SELECT generate_series``.

    uv run python -m bench.bench_coupons [--count 100000] [--repetitions 3] [--redemptions 10000]

In a fresh database (the embedded PostgreSQL under .revisit/bench, or REVISIT_BENCH_DATABASE_URL), one
store and one template; then, per repetition, into the same ``coupons`` table with all its indexes:

* Revisit: ``domain.coupons.issuing.generate(count=N)`` in its own transaction — N codes drawn with
  :mod:`secrets`, one set-based insert, collisions drawn again, each code keyed for idempotency;
* the baseline: one ``INSERT … SELECT … FROM generate_series(1, N)`` of the same rows drawn inside
  PostgreSQL — time-ordered ids, random codes (``md5(random())``, 12 symbols so none collide), an
  origin key each — and nothing else: no secure randomness, no round trip, no collision handling.

The store grows by 2 × N codes per repetition, so later rounds show the cost on a fuller store. Then it
times the redemption handler over ``--redemptions`` orders carrying codes (one batch, as the
processing pipeline calls it) beside a hand-written ``INSERT … SELECT`` of the same rows, and a
checkout's check of one code (median of 200). Prints Markdown for bench/RESULTS.md with the table's
size per 100,000 codes.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import time
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from bench.databases import fresh_database_url

DATABASE = "revisit_bench_coupons"
TARGET_SECONDS = 5.0


_BASELINE = """
INSERT INTO coupons (id, tenant_id, template_id, code, customer_id, origin_key, issued_at, expires_at,
                     redemptions_count)
SELECT (lpad(to_hex((extract(epoch FROM $4::timestamptz) * 1000)::bigint), 12, '0')
        || lpad(to_hex(n), 20, '0'))::uuid,
       $1, $2, 'BASE' || $3::text || '-' || upper(substr(md5(random()::text), 1, 12)), NULL,
       'base:' || $3::text || ':' || n, $4, NULL, 0
FROM generate_series(1, $5::int) AS n
"""
_BASELINE_REDEEM = """
INSERT INTO coupon_redemptions (id, tenant_id, coupon_id, order_id, customer_id, state, discount,
                                order_total, redeemed_at)
SELECT gen_random_uuid(), $1, c.id, o.id, o.customer_id, 'redeemed', 0, o.total, $3
FROM orders AS o
JOIN coupons AS c ON c.tenant_id = $1 AND c.code = o.coupon_codes ->> 0
WHERE o.tenant_id = $1 AND o.id = ANY($2::uuid[])
"""


async def _timed(work: Any) -> float:
    start = time.perf_counter()
    await work
    return time.perf_counter() - start


async def run(count: int, repetitions: int, redemptions: int) -> str:
    from tortoise import connections
    from tortoise.transactions import in_transaction

    from domain.commerce.models import Order
    from domain.coupons import issuing, redemption, validation
    from domain.coupons import service as templates
    from domain.coupons.models import Coupon
    from domain.customers.models import Customer
    from domain.customers.service import CustomerIn
    from domain.tenancy import service as tenancy
    from revisit import database

    url = fresh_database_url(DATABASE)
    await database.migrate(url)
    await database.close()
    await database.init(url)
    tenant = await tenancy.create_tenant(tenant_in=tenancy.TenantIn(name="Bench coupons", currency="IRT"))
    template = await templates.create(
        tenant_id=tenant.id,
        template_in=templates.TemplateIn(name="Yalda", kind="percent", value=15, code_prefix="YALDA-"),
    )
    connection = connections.get("default")
    rows: list[tuple[int, float, float, int]] = []
    for round_ in range(1, repetitions + 1):
        now = datetime.now(UTC)

        async def ours(key: str = f"bench:{round_}", moment: datetime = now) -> None:
            async with in_transaction():
                result = await issuing.generate(
                    tenant_id=tenant.id, template_id=template.id, origin_key=key, now=moment, count=count
                )
                assert result.created == count

        async def baseline(number: int = round_, moment: datetime = now) -> None:
            async with in_transaction() as tx:
                await tx.execute_query(_BASELINE, [tenant.id, template.id, str(number), moment, count])

        before = await Coupon.filter(tenant_id=tenant.id).count()
        if round_ % 2:  # alternate which goes first, so neither always finds the other's pages cached
            mine, theirs = await _timed(ours()), await _timed(baseline())
        else:
            theirs, mine = await _timed(baseline()), await _timed(ours())
        rows.append((before, mine, theirs, round_))
    [size] = await connection.execute_query_dict(
        "SELECT pg_total_relation_size('coupons') AS total, pg_relation_size('coupons') AS heap,"
        " (SELECT count(*) FROM coupons) AS codes"
    )
    repeat = await _timed(
        issuing.generate(
            tenant_id=tenant.id,
            template_id=template.id,
            origin_key="bench:1",
            now=datetime.now(UTC),
            count=count,
        )
    )

    # Redemptions: orders each carrying one code, one handler call as a processing batch makes it.
    codes = await Coupon.filter(tenant_id=tenant.id, code__startswith="YALDA-").limit(redemptions * 2)
    customer = await Customer.create(tenant_id=tenant.id, external_id="bench", phone="+989120000000")
    now = datetime.now(UTC)
    orders = [
        Order(
            id=uuid4(),
            tenant_id=tenant.id,
            customer_id=customer.id,
            external_id=f"o{n}",
            status="completed",
            currency="IRT",
            total=1_000_000,
            coupon_codes=[codes[n].code.lower()],
            placed_at=now,
            source_updated_at=now,
        )
        for n in range(redemptions * 2)
    ]
    await Order.bulk_create(orders, batch_size=5_000)
    ours_ids: list[UUID] = [order.id for order in orders[:redemptions]]
    base_ids: list[UUID] = [order.id for order in orders[redemptions:]]

    async def handled() -> None:
        async with in_transaction():
            await redemption.apply(tenant_id=tenant.id, placed=ours_ids, reversed_=[], now=now)

    async def hand_written() -> None:
        async with in_transaction() as tx:
            await tx.execute_query(_BASELINE_REDEEM, [tenant.id, base_ids, now])

    # As autovacuum would have by then: statistics and hint bits of the fresh rows, for both alike.
    for table in ("coupons", "orders", "coupon_redemptions"):
        await connection.execute_query(f"VACUUM ANALYZE {table}")
    redeem_base, redeem_ours = await _timed(hand_written()), await _timed(handled())

    # One checkout check (reads only), the median of 200.
    unused = codes[-1].code
    checks = []
    for _ in range(200):
        checks.append(
            await _timed(
                validation.validate(
                    tenant_id=tenant.id,
                    code=unused.lower(),
                    customer_in=CustomerIn(external_id="bench"),
                    cart=validation.Cart(total=1_000_000),
                    now=datetime.now(UTC),
                )
            )
        )
    await database.close()
    return _report(
        count, rows, size, repeat, redemptions, redeem_ours, redeem_base, statistics.median(checks)
    )


def _report(
    count: int,
    rows: list[tuple[int, float, float, int]],
    size: dict[str, Any],
    repeat: float,
    redemptions: int,
    redeem_ours: float,
    redeem_base: float,
    check: float,
) -> str:
    per_100k = int(size["total"]) * 100_000 / max(int(size["codes"]), 1)
    lines = [
        f"## Coupons ({datetime.now(UTC).date().isoformat()})",
        "",
        f"`uv run python -m bench.bench_coupons --count {count} --repetitions {len(rows)} "
        f"--redemptions {redemptions}` on {platform.machine()}, {os.cpu_count()} cores (shared), "
        "PostgreSQL with the migrations' indexes on `coupons` (primary key, unique code and origin key per "
        "store, issue time, template, customer, expiry, code prefix).",
        "",
        f"| round | codes in the store before | generate {count:,} (Revisit) | baseline INSERT … SELECT "
        "generate_series | ratio | target ≤ 5 s |",
        "|---|---|---|---|---|---|",
    ]
    for before, ours, base, round_ in rows:
        verdict = "met" if ours <= TARGET_SECONDS else "not met"
        lines.append(
            f"| {round_} | {before:,} | {ours:.2f} s | {base:.2f} s | {ours / base:.1f}× | {verdict} |"
        )
    lines += [
        "",
        f"- The same request again (its idempotency key already used): {repeat:.2f} s, no code made.",
        f"- Table size: {int(size['total']) / 2**20:.0f} MiB for {int(size['codes']):,} codes with their "
        f"indexes (heap {int(size['heap']) / 2**20:.0f} MiB), about {per_100k / 2**20:.0f} MiB per "
        "100,000 codes.",
        f"- Redemptions: {redemptions:,} orders carrying a code, one handler call (return, redeem, recount): "
        f"{redeem_ours:.2f} s beside {redeem_base:.2f} s for a hand-written INSERT … SELECT of the "
        f"same rows ({redeem_ours / redeem_base:.1f}×).",
        f"- A checkout's check of one code (customer, code, limits): median {check * 1000:.1f} ms, "
        "in process.",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--repetitions", type=int, default=3)
    parser.add_argument("--redemptions", type=int, default=10_000)
    args = parser.parse_args()
    print(asyncio.run(run(args.count, args.repetitions, args.redemptions)))


if __name__ == "__main__":
    main()
