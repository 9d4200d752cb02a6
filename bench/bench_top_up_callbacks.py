"""Top-up callbacks benchmark: 1,000 concurrent Zarinpal callbacks for 10 authorities must credit exactly 10.

    uv run python -m bench.bench_top_up_callbacks [--authorities 10] [--callbacks 1000] [--repetitions 3]

In a fresh database (the embedded PostgreSQL under .revisit/bench, or REVISIT_BENCH_DATABASE_URL; Redis
likewise, or REVISIT_BENCH_REDIS_URL) it starts a local Zarinpal (the test suite's protocol server, in this
process) and one real ``revisit api`` process pointed at it, admitting every request at once
(REVISIT_MAX_REQUESTS_IN_FLIGHT above the callbacks, so none is turned away as overload). Per repetition:

* ``--authorities`` top-ups of one store are started (through the domain service, as startTopUp does)
  and paid at the local Zarinpal;
* timed: ``--callbacks`` callbacks (the same number per authority, shuffled) sent all at once over real
  HTTP to ``GET /rest/v1/payments/zarinpal/callback/<top-up>?Authority=…&Status=OK``;
* checked: every answer is the paid page, the wallet holds exactly one credit per authority and their sum,
  and Zarinpal was asked to verify once per authority;
* baselines in the same run: the same number of concurrent ``verify.json`` calls straight to the local
  Zarinpal (its own round trip, answered 101), and of ``GET /healthz`` on the same API process (its HTTP
  overhead).

Prints a Markdown table of every repetition and the medians for bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from uuid import UUID

import httpx
from tortoise.transactions import in_transaction

from bench.databases import recreated_urls
from domain.billing.models import WalletEntry
from domain.payments import topups
from domain.payments.zarinpal import ZarinpalGateway
from domain.tenancy import service as tenancy
from domain.tenancy.models import Tenant
from revisit import database
from revisit.services import ServiceUrls
from tests.support.live_revisit import RevisitServer
from tests.support.zarinpal_server import ZarinpalServer

DATABASE = "revisit_bench_top_ups"
AMOUNT = 500_000
SECRET = "bench-top-up-callbacks-" + "s" * 32


@dataclass(frozen=True)
class Round:
    callbacks_seconds: float
    statuses: Counter[int]
    paid_pages: int
    credits: int
    credited: int
    verifies: int
    verify_seconds: float
    healthz_seconds: float


async def _at_once(
    client: httpx.AsyncClient, requests: list[tuple[str, str, dict | None]]
) -> tuple[float, list]:
    """Send every request at once; the seconds until the last answer, and the answers."""
    started = time.perf_counter()
    answers = await asyncio.gather(
        *(client.request(method, url, json=body) for method, url, body in requests), return_exceptions=True
    )
    return time.perf_counter() - started, answers


async def _round(
    *, number: int, tenant_id: UUID, api: str, zarinpal: ZarinpalServer, authorities: int, callbacks: int
) -> Round:
    tenant = await Tenant.get(id=tenant_id)
    gateway = ZarinpalGateway(zarinpal.merchant_id, base_url=zarinpal.base_url)
    gateways = topups.Gateways(zarinpal=gateway)
    limits = topups.Limits(min_amount=1, max_amount=10**12, rials_per_minor_unit={})
    paths: list[str] = []
    started_ids: list[UUID] = []
    for index in range(authorities):
        async with in_transaction() as connection:
            top_up = await topups.start(
                connection,
                tenant=tenant,
                amount=AMOUNT,
                client_key=f"bench-{number}-{index}",
                created_by=None,
                gateways=gateways,
                limits=limits,
                urls=lambda top_up_id: topups.ReturnUrls(
                    callback=f"{api}/rest/v1/payments/zarinpal/callback/{top_up_id}", success="", cancel=""
                ),
            )
        started_ids.append(top_up.id)
        paths.append(zarinpal.pay(top_up.authority))
    await gateway.aclose()
    verifies_before = len(zarinpal.verifications)
    merchant = zarinpal.merchant_id
    requests: list[tuple[str, str, dict | None]] = [
        ("GET", paths[index % authorities], None) for index in range(callbacks)
    ]
    random.Random(number).shuffle(requests)
    limits_ = httpx.Limits(max_connections=callbacks, max_keepalive_connections=callbacks)
    async with httpx.AsyncClient(timeout=120.0, limits=limits_) as client:
        seconds, answers = await _at_once(client, requests)
        verifies = len(zarinpal.verifications) - verifies_before
        statuses = Counter(
            answer.status_code if isinstance(answer, httpx.Response) else 0 for answer in answers
        )
        paid = sum(
            1 for answer in answers if isinstance(answer, httpx.Response) and "پرداخت انجام شد" in answer.text
        )
        verify_body = [
            {
                "merchant_id": merchant,
                "amount": AMOUNT,
                "authority": parse_qs(urlsplit(path).query)["Authority"][0],
            }
            for path in paths
        ]
        verify_seconds, _ = await _at_once(
            client,
            [
                ("POST", f"{zarinpal.base_url}/pg/v4/payment/verify.json", verify_body[index % authorities])
                for index in range(callbacks)
            ],
        )
        healthz_seconds, _ = await _at_once(client, [("GET", f"{api}/healthz", None)] * callbacks)
    keys = [f"top-up:{top_up_id}" for top_up_id in started_ids]
    amounts = await WalletEntry.filter(
        tenant_id=tenant_id, kind="top_up", idempotency_key__in=keys
    ).values_list("amount", flat=True)
    return Round(
        callbacks_seconds=seconds,
        statuses=statuses,
        paid_pages=paid,
        credits=len(amounts),
        credited=sum(int(amount) for amount in amounts),  # type: ignore[arg-type]
        verifies=verifies,
        verify_seconds=verify_seconds,
        healthz_seconds=healthz_seconds,
    )


async def run(authorities: int, callbacks: int, repetitions: int) -> str:
    database_url, redis_url = await recreated_urls(DATABASE)
    await database.migrate(database_url)
    await database.close()
    await database.init(database_url)
    _, tenant = await tenancy.register_owner(
        email="owner@bench.ir",
        password="correct horse battery",
        full_name="Bench",
        tenant_in=tenancy.TenantIn(name="فروشگاه محک", currency="IRT", locale="fa", timezone="Asia/Tehran"),
    )
    rounds: list[Round] = []
    with ZarinpalServer() as zarinpal, tempfile.TemporaryDirectory() as logs:
        os.environ.update(
            {
                "REVISIT_ZARINPAL_MERCHANT_ID": zarinpal.merchant_id,
                "REVISIT_ZARINPAL_BASE_URL": zarinpal.base_url,
                "REVISIT_MAX_REQUESTS_IN_FLIGHT": str(callbacks + 100),
                "PYTHONPATH": os.pathsep.join(filter(None, [str(Path.cwd()), os.environ.get("PYTHONPATH")])),
            }
        )
        urls = ServiceUrls(
            database_url=database_url, redis_url=redis_url, embedded_database=False, embedded_redis=False
        )
        with RevisitServer(urls, secret_key=SECRET, log_dir=Path(logs)) as api:
            api.start()
            for number in range(repetitions):
                rounds.append(
                    await _round(
                        number=number,
                        tenant_id=tenant.id,
                        api=api.base_url,
                        zarinpal=zarinpal,
                        authorities=authorities,
                        callbacks=callbacks,
                    )
                )
    await database.close()
    return _report(rounds, authorities=authorities, callbacks=callbacks)


def _report(rounds: list[Round], *, authorities: int, callbacks: int) -> str:
    n = f"{callbacks:,}"
    lines = [
        f"### Top-up callbacks: {n} at once for {authorities} authorities "
        f"({callbacks // authorities} each), one `revisit api` process",
        "",
        "| run | callbacks (s) | answers | paid pages | credits | credited (IRR) | Zarinpal verifies "
        f"| baseline: verify.json ×{n} (s) | baseline: /healthz ×{n} (s) | ÷ verify | ÷ healthz |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for number, result in enumerate(rounds, 1):
        answers = ", ".join(f"{status}×{count}" for status, count in sorted(result.statuses.items()))
        took = result.callbacks_seconds
        lines.append(
            f"| {number} | {took:.2f} | {answers} | {result.paid_pages:,} | {result.credits} "
            f"| {result.credited:,} | {result.verifies} | {result.verify_seconds:.2f} "
            f"| {result.healthz_seconds:.2f} | {took / result.verify_seconds:.1f}× "
            f"| {took / result.healthz_seconds:.1f}× |"
        )
    median = statistics.median
    exact = all(
        result.credits == authorities and result.credited == authorities * AMOUNT for result in rounds
    )
    lines += [
        "",
        f"Median: {median(r.callbacks_seconds for r in rounds):.2f} s for {callbacks:,} callbacks "
        f"({callbacks / median(r.callbacks_seconds for r in rounds):,.0f}/s) beside "
        f"{median(r.verify_seconds for r in rounds):.2f} s for the gateway's own verify round trips and "
        f"{median(r.healthz_seconds for r in rounds):.2f} s for bare /healthz answers. Exactly "
        f"{authorities} credits per run: {'yes' if exact else 'NO'}.",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--authorities", type=int, default=10)
    parser.add_argument("--callbacks", type=int, default=1_000)
    parser.add_argument("--repetitions", type=int, default=3)
    args = parser.parse_args()
    if args.callbacks % args.authorities:
        raise SystemExit("--callbacks must be a multiple of --authorities")
    print(asyncio.run(run(args.authorities, args.callbacks, args.repetitions)))


if __name__ == "__main__":
    main()
