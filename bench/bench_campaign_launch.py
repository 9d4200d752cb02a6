"""Campaign launch and results benchmark: a 100,000-recipient launch beside hand-written SQL of its rows.

    uv run python -m bench.bench_campaign_launch [--customers 100000] [--orders 10000]

In a fresh database (the embedded PostgreSQL under .revisit/bench, or REVISIT_BENCH_DATABASE_URL), one
store of ``--customers`` customers (written with one ``INSERT … SELECT generate_series``): 2 % without a
phone, 1 % opted out, the rest reachable; a coupon template; a funded wallet. Then:

* Revisit: :func:`domain.campaigns.launch.launch` of a coupon campaign with a 10 % control group — the
  audience snapshot with every exclusion rule, one code per treated recipient, every message rendered in
  Python (variables, footer, parts) and inserted, the cost reserved — in one transaction;
* the baseline: the same rows written by three bare statements in one transaction — recipients
  ``INSERT … SELECT`` from the customers (phone present and consenting, no other rule), codes
  ``INSERT … SELECT`` with ``md5(random())``, messages ``INSERT … SELECT`` with the body concatenated
  in SQL and a fixed part count: no policy, no rendering, no part counting, no wallet.

Then, after ``--orders`` orders by recipients and half the messages marked delivered, the campaign's
progress and results (attribution by last touch, the control group's lift) beside a bare aggregate
of the same orders joined to the recipients. Prints Markdown for bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

from bench.databases import fresh_database_url

DATABASE = "revisit_bench_campaign_launch"
TARGET_SECONDS = 10.0
"""A 100,000-recipient launch "in seconds": the figure the brief asks for, with this as its bound."""


_CUSTOMERS = """
INSERT INTO customers (id, tenant_id, external_id, phone, first_name, marketing_consent, consent_source,
                       tags, created_at, updated_at)
SELECT gen_random_uuid(), $1, 'c' || n,
       CASE WHEN n % 50 = 0 THEN NULL ELSE '+98912' || lpad(n::text, 7, '0') END,
       (ARRAY['سارا', 'علی', 'مریم', 'رضا', 'زهرا'])[1 + n % 5],
       n % 100 <> 1, 'unknown', '[]', now(), now()
FROM generate_series(1, $2::int) AS n
"""
_BASE_RECIPIENTS = """
INSERT INTO campaign_recipients (tenant_id, campaign_id, customer_id, phone, status, credit_amount)
SELECT $1, $2, c.id, c.phone, 'treated', 0 FROM customers AS c
WHERE c.tenant_id = $1 AND c.phone IS NOT NULL AND c.marketing_consent
"""
_BASE_COUPONS = """
INSERT INTO coupons (id, tenant_id, template_id, code, customer_id, origin_key, issued_at, redemptions_count)
SELECT gen_random_uuid(), $1, $3, 'B-' || upper(substr(md5(random()::text), 1, 12)), r.customer_id,
       'base:' || $2::uuid::text || ':' || r.customer_id::text, now(), 0
FROM campaign_recipients AS r WHERE r.tenant_id = $1 AND r.campaign_id = $2
"""
_BASE_MESSAGES = """
INSERT INTO outbound_messages (id, tenant_id, customer_id, campaign_id, origin_key, purpose, phone, body,
                               encoding, parts, status, created_at, updated_at)
SELECT gen_random_uuid(), $1, r.customer_id, $2, 'base:' || $2::uuid::text || ':' || r.customer_id::text,
       'marketing', r.phone, c.first_name || '، کد ' || cp.code || E'\\nلغو۱۱', 'UCS-2', 1, 'queued',
       now(), now()
FROM campaign_recipients AS r
JOIN customers AS c ON c.tenant_id = r.tenant_id AND c.id = r.customer_id
JOIN coupons AS cp ON cp.tenant_id = r.tenant_id
  AND cp.origin_key = 'base:' || $2::uuid::text || ':' || r.customer_id::text
WHERE r.tenant_id = $1 AND r.campaign_id = $2
"""
_DELIVER_HALF = """
UPDATE outbound_messages SET status = 'sent', sent_at = $3, delivery_status = 'delivered',
       delivery_status_at = $3
WHERE tenant_id = $1 AND campaign_id = $2 AND ('x' || substr(md5(id::text), 1, 1))::bit(4)::int < 8
"""
_ORDERS = """
INSERT INTO orders (id, tenant_id, customer_id, external_id, status, currency, total, coupon_codes, billing,
                    placed_at, source_updated_at, created_at, updated_at)
SELECT gen_random_uuid(), $1, r.customer_id, 'o' || r.id, 'completed', 'IRT', 500000 + (r.id % 7) * 100000,
       '[]', '{}', $3::timestamptz + (r.id % 72) * interval '1 hour', now(), now(), now()
FROM (SELECT id, customer_id FROM campaign_recipients WHERE tenant_id = $1 AND campaign_id = $2
      ORDER BY id LIMIT $4) AS r
"""
_BASE_RESULTS = """
SELECT r.status, count(o.id) AS orders, coalesce(sum(o.total - o.refunded_total), 0) AS revenue
FROM campaign_recipients AS r
LEFT JOIN orders AS o ON o.tenant_id = r.tenant_id AND o.customer_id = r.customer_id AND o.placed_at >= $3
WHERE r.tenant_id = $1 AND r.campaign_id = $2
GROUP BY r.status
"""


async def _timed(work: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    result = await work
    return time.perf_counter() - start, result


async def run(customers: int, orders: int) -> str:
    from tortoise import connections
    from tortoise.transactions import in_transaction

    from domain.billing import wallet
    from domain.campaigns import launch
    from domain.campaigns.models import Campaign
    from domain.campaigns.progress import campaign_progress
    from domain.campaigns.results import campaign_results
    from domain.coupons import service as coupon_templates
    from domain.tenancy import service as tenancy
    from revisit import database

    url = fresh_database_url(DATABASE)
    await database.migrate(url)
    await database.close()
    await database.init(url)
    tenant = await tenancy.create_tenant(tenant_in=tenancy.TenantIn(name="Bench campaigns", currency="IRT"))
    connection = connections.get("default")
    await connection.execute_query(_CUSTOMERS, [tenant.id, customers])
    await connection.execute_query("ANALYZE customers")
    template = await coupon_templates.create(
        tenant_id=tenant.id,
        template_in=coupon_templates.TemplateIn(name="Yalda", kind="percent", value=15, code_prefix="YL-"),
    )
    await wallet.top_up(tenant.id, amount=10**12, key="bench", reference="bench:campaigns")
    campaign = await Campaign.create(
        tenant_id=tenant.id,
        name="Yalda",
        template="{first_name} عزیز، {coupon_value} تخفیف شب یلدا با کد {coupon_code}",
        incentive="coupon",
        coupon_template_id=template.id,
        control_percent=10,
    )
    now = datetime.now(UTC).replace(hour=9, minute=0)  # 12:30 in Tehran: no quiet hours in the way
    ours, launched = await _timed(launch.launch(tenant_id=tenant.id, campaign_id=campaign.id, now=now))

    base_id = uuid4()
    await Campaign.create(id=base_id, tenant_id=tenant.id, name="Baseline", template="x")

    async def baseline() -> None:
        async with in_transaction() as tx:
            await tx.execute_query(_BASE_RECIPIENTS, [tenant.id, base_id])
            await tx.execute_query(_BASE_COUPONS, [tenant.id, base_id, template.id])
            await tx.execute_query(_BASE_MESSAGES, [tenant.id, base_id])

    theirs, _ = await _timed(baseline())
    await connection.execute_query(_DELIVER_HALF, [tenant.id, campaign.id, now + timedelta(minutes=5)])
    await connection.execute_query(_ORDERS, [tenant.id, campaign.id, now + timedelta(hours=1), orders])
    await connection.execute_query("ANALYZE")
    progress_time, progress = await _timed(campaign_progress(tenant_id=tenant.id, campaign_id=campaign.id))
    results_time, results = await _timed(campaign_results(tenant_id=tenant.id, campaign_id=campaign.id))
    base_results_time, _ = await _timed(
        connection.execute_query_dict(_BASE_RESULTS, [tenant.id, campaign.id, now])
    )
    await database.close()

    target = "met" if ours <= TARGET_SECONDS else "not met"
    lines = [
        f"### Campaign launch and results ({customers:,} customers, {datetime.now(UTC):%Y-%m-%d})",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores shared, Python {platform.python_version()}.",
        "",
        "| Step | Revisit | Baseline (bare SQL of the same rows) | Ratio |",
        "|---|---:|---:|---:|",
        f"| Launch: snapshot, {launched.recipients_count:,} codes and messages, reservation | {ours:.2f} s "
        f"| {theirs:.2f} s | {ours / theirs:.1f}× |",
        f"| Progress (one statement over {progress.recipients:,} messages) | {progress_time * 1000:.0f} ms "
        f"| — | — |",
        f"| Results: attribution of {orders:,} orders, lift over control | {results_time * 1000:.0f} ms "
        f"| {base_results_time * 1000:.0f} ms | {results_time / base_results_time:.1f}× |",
        "",
        f"Snapshot: {launched.recipients_count:,} treated, {launched.control_count:,} control, "
        f"{launched.excluded_count:,} excluded ({launched.exclusions}); "
        f"reserved {launched.cost_reserved:,} IRR. "
        f"Results: {results.attributed_orders:,} attributed orders, {results.attributed_revenue:,} revenue; "
        f"treated converted {results.treated.converted:,} of {results.treated.customers:,}, control "
        f"{results.control.converted:,} of {results.control.customers:,}.",
        f"Target (launch ≤ {TARGET_SECONDS:.0f} s at 100,000): {target}.",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--orders", type=int, default=10_000)
    arguments = parser.parse_args()
    print(asyncio.run(run(arguments.customers, arguments.orders)))


if __name__ == "__main__":
    main()
