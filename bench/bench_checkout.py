"""Checkout look-ups benchmark: the real API against a bare Starlette + asyncpg handler, and overload.

    uv run python -m bench.bench_checkout [--customers 20000] [--repetitions 3] [--seconds 10]

Seeds one store (``--customers`` customers, three credit lines each, one store key) in a fresh database
(the embedded PostgreSQL under .revisit/bench, or REVISIT_BENCH_DATABASE_URL; Redis likewise, or
REVISIT_BENCH_REDIS_URL), then runs, each in its own process:

* the real API (``create_app``, one uvicorn process, its default settings), and
* a bare handler: Starlette + asyncpg answering the same look-ups from the same database with the same
  statements a hand-written service would send (store key, store, customer, balance),

and drives them from a third process. Per repetition: capacity (wrk, 16 connections, closed loop) of
``/rest/v1/credit/quote`` and ``/rest/v1/coupons/validate``; latency at 50 and 200 requests/s offered
(open loop: a Python generator sends on a fixed schedule, never waiting for answers, 10 s timeout);
and the overload answer (wrk, 256 connections, on the API only: share of 503s and how fast they
came). Prints a Markdown table of medians over the repetitions for bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import platform
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

BENCH_DIR = Path(".revisit/bench")
DATABASE = "revisit_bench_checkout"
CART_TOTAL = "1250000"
QUOTE_PATH = "/rest/v1/credit/quote"
CAPACITY_CONNECTIONS = 16
"""As many as the API admits at once by default (REVISIT_MAX_REQUESTS_IN_FLIGHT), so none is refused."""
COUPON_PATH = "/rest/v1/coupons/validate"


# --- the store ------------------------------------------------------------------------------------


def phone_of(number: int) -> str:
    return f"+98912{number:07d}"


def quote_body(number: int) -> dict[str, Any]:
    return {
        "customer": {"external_id": str(number), "phone": "0" + phone_of(number)[3:]},
        "cart_total": CART_TOTAL,
        "currency": "IRT",
    }


def coupon_body(number: int) -> dict[str, Any]:
    return {**quote_body(number), "code": f"YALDA{number % 97}"}


def service_urls() -> tuple[str, str]:
    from revisit import embedded

    database_url = os.environ.get("REVISIT_BENCH_DATABASE_URL")
    if database_url is None:
        embedded.postgres_url(BENCH_DIR, database="postgres")
        embedded.postgres_server(BENCH_DIR).psql(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE);')
        database_url = embedded.postgres_url(BENCH_DIR, database=DATABASE)
    redis_url = os.environ.get("REVISIT_BENCH_REDIS_URL") or embedded.redis_url(BENCH_DIR)
    return database_url, redis_url


async def seed(database_url: str, customers: int) -> str:
    """Migrate, create the store and its customers with credit; return the store key's token."""
    from domain.customers.models import Customer
    from domain.incentives.models import CreditEntry
    from domain.tenancy import service as tenancy
    from revisit import database

    await database.migrate(database_url)
    await database.close()
    await database.init(database_url)
    _, tenant = await tenancy.register_owner(
        email="bench@example.com",
        password="benchmark-password",
        full_name="Bench",
        tenant_in=tenancy.TenantIn(name="Bench store", currency="IRT"),
    )
    _, token = await tenancy.create_store_key(tenant_id=tenant.id, name="bench")
    now = datetime.now(UTC)
    for start in range(0, customers, 2000):
        people = [
            Customer(tenant_id=tenant.id, external_id=str(n), phone=phone_of(n), email=f"c{n}@example.com")
            for n in range(start, min(start + 2000, customers))
        ]
        await Customer.bulk_create(people)
        lines = [
            CreditEntry(
                tenant_id=tenant.id,
                customer_id=person.id,
                kind="cashback",
                amount=10_000 * (line + 1),
                available_at=now + timedelta(days=line - 1),
                idempotency_key=f"seed:{person.external_id}:{line}",
            )
            for person in people
            for line in range(3)
        ]
        await CreditEntry.bulk_create(lines)
    await database.close()
    return token


# --- the two servers (run in their own processes) -------------------------------------------------


def serve(app: Any, port: int, *, before: Any = None, after: Any = None) -> None:
    """Serve ``app`` as ``revisit serve`` does: uvicorn inside ``asyncio.run``, the ORM opened first."""
    import uvicorn

    async def main() -> None:
        if before is not None:
            await before()
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False)
        try:
            await uvicorn.Server(config).serve()
        finally:
            if after is not None:
                await after()

    asyncio.run(main())


def serve_api(database_url: str, redis_url: str, port: int) -> None:
    from revisit import database
    from revisit.app import create_app
    from revisit.logs import configure
    from revisit.services import ServiceUrls
    from revisit.settings import Settings

    settings = Settings(data_dir=BENCH_DIR, secret_key="b" * 48)
    configure(settings.log_level, json=settings.log_json)
    urls = ServiceUrls(database_url, redis_url, embedded_database=False, embedded_redis=False)
    app = create_app(settings, urls, manage_database=False)
    serve(app, port, before=lambda: database.init(database_url), after=database.close)


BARE_KEY = "SELECT tenant_id, secret_hash FROM store_keys WHERE public_id = $1 AND revoked_at IS NULL"
BARE_TENANT = "SELECT currency, country FROM tenants WHERE id = $1"
BARE_CUSTOMER = "SELECT id FROM customers WHERE tenant_id = $1 AND external_id = $2"
BARE_BALANCE = """
SELECT coalesce(sum(amount) FILTER (WHERE available_at <= $3), 0) AS available
FROM credit_entries WHERE tenant_id = $1 AND customer_id = $2
"""


def serve_bare(database_url: str, port: int) -> None:
    """The same look-ups written by hand: no GraphQL, no ORM, no Casbin, no middleware."""
    import asyncpg
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    pool: Any = None

    async def authenticated(request: Request) -> Any:
        token = request.headers.get("authorization", "")[7:]
        parts = token.split("_", 2)
        if len(parts) != 3:
            return None
        key = await pool.fetchrow(BARE_KEY, parts[1])
        digest = hashlib.sha256(parts[2].encode()).hexdigest()
        return key if key and hmac.compare_digest(digest, key["secret_hash"]) else None

    async def quote(request: Request) -> JSONResponse:
        key = await authenticated(request)
        if key is None:
            return JSONResponse({"error": {"code": "UNAUTHENTICATED"}}, status_code=401)
        body = json.loads(await request.body())
        tenant = await pool.fetchrow(BARE_TENANT, key["tenant_id"])
        customer = await pool.fetchrow(BARE_CUSTOMER, key["tenant_id"], body["customer"]["external_id"])
        if customer is None:
            return JSONResponse({"customer_found": False, "available": "0", "max_usable": "0"})
        available = await pool.fetchval(BARE_BALANCE, key["tenant_id"], customer["id"], datetime.now(UTC))
        usable = min(int(available), int(body["cart_total"]))
        return JSONResponse(
            {
                "customer_found": True,
                "available": str(available),
                "max_usable": str(usable),
                "currency": tenant["currency"],
            }
        )

    async def coupon(request: Request) -> JSONResponse:
        key = await authenticated(request)
        if key is None:
            return JSONResponse({"error": {"code": "UNAUTHENTICATED"}}, status_code=401)
        body = json.loads(await request.body())
        await pool.fetchrow(BARE_TENANT, key["tenant_id"])
        return JSONResponse(
            {
                "valid": False,
                "code": body["code"],
                "reason": "unknown_code",
                "message": "This code is not known.",
            }
        )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        nonlocal pool
        pool = await asyncpg.create_pool(database_url, min_size=2, max_size=10)
        yield
        await pool.close()

    app = Starlette(
        routes=[Route(QUOTE_PATH, quote, methods=["POST"]), Route(COUPON_PATH, coupon, methods=["POST"])],
        lifespan=lifespan,
    )
    serve(app, port)


# --- load -----------------------------------------------------------------------------------------

WRK_SCRIPT = """
local customers = {customers}
local token = "{token}"
local path = "{path}"
local coupon = {coupon}
counts = {{}}
local threads = {{}}
function setup(thread) table.insert(threads, thread) end
function init(args) math.randomseed(os.time() + math.random(1, 1000000)) end
function request()
  local n = math.random(0, customers - 1)
  local body = string.format('{{"customer":{{"external_id":"%d"}},"cart_total":"{cart}","currency":"IRT"', n)
  if coupon then body = body .. string.format(',"code":"YALDA%d"', n % 97) end
  local headers = {{["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json"}}
  return wrk.format("POST", path, headers, body .. "}}")
end
function response(status, headers, body)
  counts[status] = (counts[status] or 0) + 1
end
function done(summary, latency, requests)
  local total = {{}}
  for _, thread in ipairs(threads) do
    local c = thread:get("counts")
    for status, n in pairs(c) do total[status] = (total[status] or 0) + n end
  end
  local parts = {{}}
  for status, n in pairs(total) do table.insert(parts, string.format('"%d": %d', status, n)) end
  io.write(string.format('WRK {{"requests": %d, "seconds": %f, "timeouts": %d, ', summary.requests,
    summary.duration / 1e6, summary.errors.timeout))
  io.write(string.format('"p50_ms": %f, "p99_ms": %f, "statuses": {{%s}}}}\\n', latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, table.concat(parts, ", ")))
end
"""


def wrk(
    port: int, path: str, *, token: str, customers: int, connections: int, seconds: int
) -> dict[str, Any]:
    """Closed-loop load from wrk; returns requests/s, latency percentiles and status counts."""
    script = WRK_SCRIPT.format(
        customers=customers,
        token=token,
        path=path,
        coupon="true" if "coupon" in path else "false",
        cart=CART_TOTAL,
    )
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", handle.name]
    output = subprocess.run(
        [*command, f"http://127.0.0.1:{port}"], capture_output=True, text=True, check=True
    )
    os.unlink(handle.name)
    line = next(line for line in output.stdout.splitlines() if line.startswith("WRK "))
    result: dict[str, Any] = json.loads(line[4:])
    result["rps"] = result["requests"] / result["seconds"]
    result["ok_rps"] = result["statuses"].get("200", 0) / result["seconds"]
    return result


async def open_loop(port: int, *, token: str, customers: int, rate: int, seconds: int) -> dict[str, Any]:
    """Send quotes at ``rate`` per second on a fixed schedule, whatever the answers; 10 s timeout.

    Plain HTTP/1.1 over asyncio streams with keep-alive connections: a request takes an idle connection
    or opens one, so the schedule never waits for an answer and the generator costs little CPU.
    """
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    timeouts = 0
    idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []

    def request(number: int) -> bytes:
        body = json.dumps(quote_body(number)).encode()
        head = (
            f"POST {QUOTE_PATH} HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        return head.encode() + body

    async def exchange(number: int) -> int:
        connection = idle.pop() if idle else await asyncio.open_connection("127.0.0.1", port)
        reader, writer = connection
        writer.write(request(number))
        head = await reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))  # type: ignore[union-attr]
        await reader.readexactly(length)
        statuses[status] = statuses.get(status, 0) + 1
        idle.append(connection)
        return status

    async def one(number: int) -> None:
        nonlocal timeouts
        sent = time.perf_counter()
        try:
            status = await asyncio.wait_for(exchange(number), timeout=10)
        except TimeoutError:
            timeouts += 1
            return
        except (OSError, asyncio.IncompleteReadError):
            statuses[0] = statuses.get(0, 0) + 1
            return
        if status == 200:
            latencies.append(time.perf_counter() - sent)

    tasks = []
    started = time.perf_counter()
    for index in range(rate * seconds):
        delay = started + index / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(random.randrange(customers))))
    await asyncio.gather(*tasks)
    for _, writer in idle:
        writer.close()
    latencies.sort()
    return {
        "sent": rate * seconds,
        "ok": statuses.get(200, 0),
        "timeouts": timeouts,
        "statuses": statuses,
        "p50_ms": _percentile(latencies, 0.5) * 1000,
        "p99_ms": _percentile(latencies, 0.99) * 1000,
    }


def _percentile(values: list[float], share: float) -> float:
    return values[min(len(values) - 1, int(len(values) * share))] if values else float("nan")


# --- the run --------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def server(kind: str, database_url: str, redis_url: str) -> Iterator[tuple[int, int]]:
    """Start ``api`` or ``bare`` in its own process; yield (port, pid) once it answers."""
    port = free_port()
    command = [sys.executable, "-m", "bench.bench_checkout", "--serve", kind, "--port", str(port)]
    environment = {**os.environ, "BENCH_DATABASE_URL": database_url, "BENCH_REDIS_URL": redis_url}
    process = subprocess.Popen(command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError(f"the {kind} server did not start")
        yield port, process.pid
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def rss_mib(pid: int) -> tuple[float, float]:
    """(current, peak) resident memory of ``pid`` in MiB."""
    status = Path(f"/proc/{pid}/status").read_text()
    value = {key: int(re.search(rf"{key}:\s+(\d+)", status).group(1)) / 1024 for key in ("VmRSS", "VmHWM")}  # type: ignore[union-attr]
    return value["VmRSS"], value["VmHWM"]


def repetition(database_url: str, redis_url: str, token: str, customers: int, seconds: int) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    for kind in ("api", "bare"):
        with server(kind, database_url, redis_url) as (port, pid):
            common: dict[str, Any] = {"token": token, "customers": customers}
            wrk(port, QUOTE_PATH, **common, connections=8, seconds=2)  # warm up
            figures[f"{kind} quote capacity"] = wrk(
                port, QUOTE_PATH, **common, connections=CAPACITY_CONNECTIONS, seconds=seconds
            )
            figures[f"{kind} coupon capacity"] = wrk(
                port, COUPON_PATH, **common, connections=CAPACITY_CONNECTIONS, seconds=seconds
            )
            for rate in (50, 200):
                figures[f"{kind} quote @{rate}/s"] = asyncio.run(
                    open_loop(port, **common, rate=rate, seconds=seconds)
                )
            if kind == "api":
                figures["api overload"] = wrk(port, QUOTE_PATH, **common, connections=256, seconds=seconds)
                figures["api overload"]["rss"] = rss_mib(pid)
            figures[f"{kind} rss"] = rss_mib(pid)
    return figures


def median(runs: list[dict[str, Any]], name: str, field: str) -> float:
    return statistics.median(run[name][field] for run in runs)


def report(runs: list[dict[str, Any]], customers: int) -> list[tuple[str, str]]:
    rows = [
        ("machine", f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"),
        (
            "store",
            f"{customers} customers, {customers * 3} credit lines, one store key; {len(runs)} repetitions",
        ),
    ]
    for route in ("quote", "coupon"):
        api, bare = (
            median(runs, f"api {route} capacity", "ok_rps"),
            median(runs, f"bare {route} capacity", "ok_rps"),
        )
        rows.append(
            (
                f"{route} capacity, API / bare ({CAPACITY_CONNECTIONS} connections, 200s per second)",
                f"{api:,.0f} / {bare:,.0f} req/s = {api / bare:.2f}×",
            )
        )
    for rate in (50, 200):
        for kind in ("api", "bare"):
            name = f"{kind} quote @{rate}/s"
            timeouts = sum(run[name]["timeouts"] for run in runs)
            ok = sum(run[name]["ok"] for run in runs)
            sent = sum(run[name]["sent"] for run in runs)
            rows.append(
                (
                    f"{kind} quote at {rate} req/s offered",
                    f"p50 {median(runs, name, 'p50_ms'):.1f} ms, p99 {median(runs, name, 'p99_ms'):.1f} ms; "
                    f"{ok}/{sent} answered 200, {timeouts} timeouts",
                )
            )
    overload = [run["api overload"] for run in runs]
    total = sum(sum(o["statuses"].values()) for o in overload)
    refused = sum(o["statuses"].get("503", 0) for o in overload)
    rows.append(
        (
            "API overload (256 connections)",
            f"{statistics.median(o['rps'] for o in overload):,.0f} answers/s, "
            f"{refused / max(total, 1):.0%} 503, "
            f"p50 {statistics.median(o['p50_ms'] for o in overload):.1f} ms, "
            f"p99 {statistics.median(o['p99_ms'] for o in overload):.1f} ms, "
            f"{sum(o['timeouts'] for o in overload)} timeouts",
        )
    )
    rows.append(
        (
            "API RSS after overload (peak)",
            f"{statistics.median(run['api rss'][0] for run in runs):,.0f} MiB "
            f"({max(run['api rss'][1] for run in runs):,.0f} MiB)",
        )
    )
    rows.append(("bare handler RSS", f"{statistics.median(run['bare rss'][0] for run in runs):,.0f} MiB"))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--repetitions", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--serve", choices=["api", "bare"])
    parser.add_argument("--port", type=int)
    parser.add_argument("--json", type=Path, help="also write every figure of every repetition here")
    args = parser.parse_args()
    if args.serve == "api":
        serve_api(os.environ["BENCH_DATABASE_URL"], os.environ["BENCH_REDIS_URL"], args.port)
        return
    if args.serve == "bare":
        serve_bare(os.environ["BENCH_DATABASE_URL"], args.port)
        return
    database_url, redis_url = service_urls()
    token = asyncio.run(seed(database_url, args.customers))
    runs = [
        repetition(database_url, redis_url, token, args.customers, args.seconds)
        for _ in range(args.repetitions)
    ]
    if args.json:
        args.json.write_text(json.dumps(runs, indent=1))
    print("| measure | figure |\n|---|---|")
    for name, figure in report(runs, args.customers):
        print(f"| {name} | {figure} |")


if __name__ == "__main__":
    main()
