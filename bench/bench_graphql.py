"""GraphQL list benchmark: Revisit's ``customers(first: 50)`` and ``orders(first: 50) { items }`` against a
minimal graphql-core + asyncpg server answering the same documents with the same JSON.

    uv run python -m bench.bench_graphql [--customers 5000] [--orders 20000] [--seconds 4] [--clients 1,8]

Seeds a fresh database with a synthetic store (bench.synthetic), written straight into the customers,
orders and order lines tables (processing 60,000 events would take minutes here and is measured by
bench.bench_processing). Then it starts, one process each, the real API (``revisit api``, as in
production) and the baseline server, checks both answer the same JSON (parsed and compared), and
measures requests per second and p50/p99 latency at each number of concurrent clients, three times.
Prints Markdown for bench/RESULTS.md.

The database is ``REVISIT_BENCH_DATABASE_URL`` (its database is dropped and created again) or the
embedded PostgreSQL under .revisit/bench; Redis is ``REVISIT_BENCH_REDIS_URL`` or the embedded one.

The baseline does what a small hand-written server would: graphql-core parses and validates every
request, one SELECT for the page, one more for the page's order lines, no authentication (it serves one
fixed store). Revisit authenticates a bearer token and checks the store's permissions on every request.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx

from bench.synthetic import generate
from domain.customers.phones import normalise_phone
from domain.tenancy import service as tenancy
from domain.tenancy.security import issue_access_token
from revisit import database, embedded

BENCH_DIR = Path(".revisit/bench")
DATABASE = "revisit_bench_graphql"
SECRET = "g" * 48
STARTUP_SECONDS = 60.0

CUSTOMERS = """
query { customers(first: 50) {
  nodes { id firstName lastName phone email city ordersCount totalSpent createdAt }
  pageInfo { hasNextPage endCursor } } }
"""
ORDERS = """
query { orders(first: 50) {
  nodes { id number status total currency customerId createdAt
          items { productId name sku quantity total } }
  pageInfo { hasNextPage endCursor } } }
"""
DOCUMENTS = {"customers(first: 50)": CUSTOMERS, "orders(first: 50) with items": ORDERS}


# --- the database ---------------------------------------------------------------------------------


async def _fresh_database() -> str:
    external = os.environ.get("REVISIT_BENCH_DATABASE_URL")
    if not external:
        embedded.postgres_url(BENCH_DIR, database="postgres")
        embedded.postgres_server(BENCH_DIR).psql(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE);')
        return embedded.postgres_url(BENCH_DIR, database=DATABASE)
    parts = urlsplit(external)
    name = parts.path.lstrip("/") or DATABASE
    admin = await asyncpg.connect(urlunsplit(parts._replace(path="/postgres")))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return external


def _amount(text: str | None) -> int:
    return int(text or 0)


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


async def seed(database_url: str, *, customers: int, orders: int) -> tuple[str, str, int, int, int]:
    """A store with the synthetic customers, orders and lines; returns (tenant id, owner token, counts)."""
    await database.migrate(database_url)
    await database.close()
    await database.init(database_url)
    user, tenant = await tenancy.register_owner(
        email="bench@example.com",
        password="benchmark-password",
        full_name="Bench",
        tenant_in=tenancy.TenantIn(name="Bench store", currency="IRT"),
    )
    store = generate(customers=customers, orders=orders, end=datetime(2026, 11, 1, tzinfo=UTC))
    people: dict[str, dict[str, Any]] = {}  # by external id, else by phone
    order_rows: dict[str, dict[str, Any]] = {}
    for event in store.events:
        data = event["data"]
        if event["type"].startswith("customer."):
            key = data["external_id"]
            people[key] = {**people.get(key, {}), **data, "key": key}
        elif event["type"] in {"order.created", "order.updated"}:
            order_rows[data["external_id"]] = {**data, "occurred_at": event["occurred_at"]}
    customer_ids: dict[str, uuid.UUID] = {}
    phones: set[str] = set()
    customer_records = []
    for person in people.values():
        phone = normalise_phone(person.get("phone"))
        if phone in phones:
            phone = None
        phones.add(phone or "")
        customer_ids[person["key"]] = uuid.uuid4()
        customer_records.append(
            (
                customer_ids[person["key"]],
                tenant.id,
                person["key"],
                phone,
                person.get("email"),
                person.get("first_name", ""),
                person.get("last_name", ""),
                person.get("city", ""),
                _moment(person["created_at"]),
                _moment(person["created_at"]),
                "[]",
            )
        )
    by_phone = {record[3]: record[0] for record in customer_records if record[3]}
    order_records, item_records = [], []
    totals: dict[uuid.UUID, list[int]] = {}
    for external_id, order in order_rows.items():
        buyer = order.get("customer") or {}
        customer_id = customer_ids.get(buyer.get("external_id", "")) or by_phone.get(
            normalise_phone(buyer.get("phone")) or ""
        )
        order_id = uuid.uuid4()
        placed = _moment(order["created_at"])
        order_records.append(
            (
                order_id,
                tenant.id,
                customer_id,
                external_id,
                order.get("number", external_id),
                order["status"],
                order["currency"],
                _amount(order.get("total")),
                _amount(order.get("subtotal")),
                placed,
                _moment(order["occurred_at"]),
                # created in Revisit when its first event arrived: spread like real ingestion
                placed + timedelta(seconds=len(order_records) % 97),
                _moment(order["occurred_at"]),
                json.dumps(order.get("coupon_codes", [])),
                json.dumps(order.get("billing", {})),
            )
        )
        for item in order.get("items", []):
            item_records.append(
                (
                    uuid.uuid4(),
                    tenant.id,
                    order_id,
                    item["product_id"],
                    item.get("name", ""),
                    item.get("sku", ""),
                    int(item.get("quantity", 1)),
                    _amount(item.get("total")),
                    json.dumps(item.get("category_ids", [])),
                )
            )
        if customer_id is not None:
            totals.setdefault(customer_id, []).append(_amount(order.get("total")))
    connection = await asyncpg.connect(database_url)
    try:
        await connection.copy_records_to_table(
            "customers",
            records=customer_records,
            columns=[
                "id",
                "tenant_id",
                "external_id",
                "phone",
                "email",
                "first_name",
                "last_name",
                "city",
                "created_at",
                "updated_at",
                "tags",
            ],
        )
        await connection.executemany(
            "UPDATE customers SET orders_count = $2, total_spent = $3 WHERE id = $1",
            [(key, len(values), sum(values)) for key, values in totals.items()],
        )
        await connection.copy_records_to_table(
            "orders",
            records=order_records,
            columns=[
                "id",
                "tenant_id",
                "customer_id",
                "external_id",
                "number",
                "status",
                "currency",
                "total",
                "subtotal",
                "placed_at",
                "source_updated_at",
                "created_at",
                "updated_at",
                "coupon_codes",
                "billing",
            ],
        )
        await connection.copy_records_to_table(
            "order_items",
            records=item_records,
            columns=[
                "id",
                "tenant_id",
                "order_id",
                "product_id",
                "name",
                "sku",
                "quantity",
                "total",
                "category_ids",
            ],
        )
        await connection.execute("ANALYZE")
    finally:
        await connection.close()
    await database.close()
    token = issue_access_token(user.id, secret=SECRET, minutes=240)
    return str(tenant.id), token, len(customer_records), len(order_records), len(item_records)


# --- the servers ----------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _start(name: str, command: list[str], env: dict[str, str], ready_path: str) -> Server:
    port = _free_port()
    log = (BENCH_DIR / f"{name}.log").open("wb")
    process = subprocess.Popen(
        [*command, "--port", str(port)], env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT
    )
    server = Server(name, process, port)
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited while starting; see {log.name}")
        try:
            if httpx.get(f"{server.url}{ready_path}", timeout=2.0).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"{name} was not ready in {STARTUP_SECONDS:.0f} s; see {log.name}")


def start_revisit(database_url: str, redis_url: str) -> Server:
    env = {
        "REVISIT_DATABASE_URL": database_url,
        "REVISIT_REDIS_URL": redis_url,
        "REVISIT_SECRET_KEY": SECRET,
        "REVISIT_DATA_DIR": str(BENCH_DIR / "revisit-data"),
        "REVISIT_LOG_LEVEL": "WARNING",
    }
    return _start(
        "revisit", [sys.executable, "-m", "revisit.cli", "api", "--host", "127.0.0.1"], env, "/readyz"
    )


def start_baseline(database_url: str, tenant_id: str) -> Server:
    env = {"BASELINE_DATABASE_URL": database_url, "BASELINE_TENANT": tenant_id}
    return _start("baseline", [sys.executable, "-m", "bench.bench_graphql", "--baseline"], env, "/ready")


# --- the baseline: graphql-core and asyncpg, nothing else ------------------------------------------


def _cursor(moment: datetime, key: Any) -> str:
    return base64.urlsafe_b64encode(f"{moment.isoformat()}|{key}".encode()).decode()


def baseline_app() -> Any:
    """A Starlette app with one graphql-core schema over asyncpg, for ``uvicorn``."""
    from graphql import (
        GraphQLArgument,
        GraphQLBoolean,
        GraphQLField,
        GraphQLID,
        GraphQLInt,
        GraphQLList,
        GraphQLNonNull,
        GraphQLObjectType,
        GraphQLScalarType,
        GraphQLSchema,
        GraphQLString,
        graphql,
    )
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, PlainTextResponse
    from starlette.routing import Route

    tenant_id = uuid.UUID(os.environ["BASELINE_TENANT"])
    pool: dict[str, asyncpg.Pool] = {}

    def plain(name: str, kind: Any, key: str | None = None) -> GraphQLField:
        column = key or name
        return GraphQLField(kind, resolve=lambda row, _info: row[column])

    def text(value: Any) -> Any:
        return str(value) if value is not None else None

    money = GraphQLScalarType("Money", serialize=int)
    date_time = GraphQLScalarType("DateTime", serialize=lambda value: value.isoformat())
    page_info = GraphQLObjectType(
        "PageInfo",
        {
            "hasNextPage": plain("has_next_page", GraphQLNonNull(GraphQLBoolean)),
            "endCursor": plain("end_cursor", GraphQLString),
        },
    )
    customer = GraphQLObjectType(
        "Customer",
        {
            "id": GraphQLField(GraphQLNonNull(GraphQLID), resolve=lambda row, _info: str(row["id"])),
            "firstName": plain("first_name", GraphQLString),
            "lastName": plain("last_name", GraphQLString),
            "phone": plain("phone", GraphQLString),
            "email": plain("email", GraphQLString),
            "city": plain("city", GraphQLString),
            "ordersCount": plain("orders_count", GraphQLInt),
            "totalSpent": plain("total_spent", money),
            "createdAt": plain("created_at", date_time),
        },
    )
    item = GraphQLObjectType(
        "OrderItem",
        {
            "productId": plain("product_id", GraphQLString),
            "name": plain("name", GraphQLString),
            "sku": plain("sku", GraphQLString),
            "quantity": plain("quantity", GraphQLInt),
            "total": plain("total", money),
        },
    )
    order = GraphQLObjectType(
        "Order",
        {
            "id": GraphQLField(GraphQLNonNull(GraphQLID), resolve=lambda row, _info: str(row["id"])),
            "number": plain("number", GraphQLString),
            "status": plain("status", GraphQLString),
            "total": plain("total", money),
            "currency": plain("currency", GraphQLString),
            "customerId": GraphQLField(GraphQLID, resolve=lambda row, _info: text(row["customer_id"])),
            "createdAt": plain("created_at", date_time),
            "items": plain("items", GraphQLList(item)),
        },
    )

    def connection(name: str, node: GraphQLObjectType) -> GraphQLObjectType:
        return GraphQLObjectType(
            name, {"nodes": plain("nodes", GraphQLList(node)), "pageInfo": plain("page_info", page_info)}
        )

    def page(rows: list[Any], size: int) -> dict[str, Any]:
        nodes = rows[:size]
        end = _cursor(nodes[-1]["created_at"], nodes[-1]["id"]) if nodes else None
        return {"nodes": nodes, "page_info": {"has_next_page": len(rows) > size, "end_cursor": end}}

    async def customers(_root: Any, _info: Any, first: int) -> dict[str, Any]:
        rows = await pool["db"].fetch(
            "SELECT * FROM customers WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2",
            tenant_id,
            first + 1,
        )
        return page(rows, first)

    async def orders(_root: Any, _info: Any, first: int) -> dict[str, Any]:
        rows = await pool["db"].fetch(
            "SELECT * FROM orders WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2",
            tenant_id,
            first + 1,
        )
        found = page(rows, first)
        ids = [row["id"] for row in found["nodes"]]
        lines = await pool["db"].fetch(
            "SELECT * FROM order_items WHERE tenant_id = $1 AND order_id = ANY($2) ORDER BY id",
            tenant_id,
            ids,
        )
        by_order: dict[Any, list[Any]] = {key: [] for key in ids}
        for line in lines:
            by_order[line["order_id"]].append(line)
        found["nodes"] = [{**dict(row), "items": by_order[row["id"]]} for row in found["nodes"]]
        return found

    first = {"first": GraphQLArgument(GraphQLInt)}
    schema = GraphQLSchema(
        GraphQLObjectType(
            "Query",
            {
                "customers": GraphQLField(
                    connection("CustomerConnection", customer), first, resolve=customers
                ),
                "orders": GraphQLField(connection("OrderConnection", order), first, resolve=orders),
            },
        )
    )

    async def endpoint(request: Request) -> JSONResponse:
        body = await request.json()
        result = await graphql(schema, body["query"], variable_values=body.get("variables"))
        answer: dict[str, Any] = {"data": result.data}
        if result.errors:
            answer["errors"] = [error.formatted for error in result.errors]
        return JSONResponse(answer)

    async def ready(_request: Request) -> PlainTextResponse:
        return PlainTextResponse("ok")

    async def lifespan(_app: Any) -> Any:
        pool["db"] = await asyncpg.create_pool(os.environ["BASELINE_DATABASE_URL"], min_size=2, max_size=10)
        yield
        await pool["db"].close()

    return Starlette(
        routes=[Route("/graphql", endpoint, methods=["POST"]), Route("/ready", ready)],
        lifespan=lifespan,
    )


# --- the load -------------------------------------------------------------------------------------


@dataclass
class Figures:
    rps: float
    p50_ms: float
    p99_ms: float


async def load(url: str, document: str, headers: dict[str, str], *, clients: int, seconds: float) -> Figures:
    """``clients`` clients each sending the document, one request after another, for ``seconds``."""
    latencies: list[float] = []
    body = json.dumps({"query": document}).encode()
    headers = {**headers, "Content-Type": "application/json"}
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as http:
        for _ in range(clients):  # warm every connection first
            (await http.post("/graphql", content=body, headers=headers)).raise_for_status()
        deadline = time.perf_counter() + seconds

        async def client() -> None:
            while time.perf_counter() < deadline:
                sent = time.perf_counter()
                response = await http.post("/graphql", content=body, headers=headers)
                latencies.append(time.perf_counter() - sent)
                response.raise_for_status()

        started = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(clients)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    return Figures(
        rps=len(latencies) / elapsed,
        p50_ms=statistics.median(latencies) * 1000,
        p99_ms=latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
    )


def _same_answers(revisit: Server, baseline: Server, headers: dict[str, str]) -> None:
    """Both servers give the same JSON for every document, or the comparison means nothing."""
    for name, document in DOCUMENTS.items():
        ours = httpx.post(f"{revisit.url}/graphql", json={"query": document}, headers=headers).json()
        theirs = httpx.post(f"{baseline.url}/graphql", json={"query": document}).json()
        if ours != theirs or "errors" in ours:
            raise SystemExit(
                f"{name}: the answers differ\nrevisit:  {str(ours)[:600]}\nbaseline: {str(theirs)[:600]}"
            )


def _rows(results: dict[tuple[str, int], list[tuple[Figures, Figures]]]) -> Iterator[str]:
    yield "| query | clients | Revisit req/s | p50 / p99 ms | baseline req/s | p50 / p99 ms | ratio |"
    yield "|---|---|---|---|---|---|---|"
    for (name, clients), runs in results.items():
        for ours, theirs in runs:
            yield (
                f"| {name} | {clients} | {ours.rps:,.0f} | {ours.p50_ms:.1f} / {ours.p99_ms:.1f} | "
                f"{theirs.rps:,.0f} | {theirs.p50_ms:.1f} / {theirs.p99_ms:.1f} | "
                f"{ours.rps / theirs.rps:.2f}× |"
            )


async def measure(
    revisit: Server, baseline: Server, token: str, *, clients: list[int], seconds: float, repeat: int
) -> dict[tuple[str, int], list[tuple[Figures, Figures]]]:
    headers = {"Authorization": f"Bearer {token}"}
    results: dict[tuple[str, int], list[tuple[Figures, Figures]]] = {}
    for name, document in DOCUMENTS.items():
        for count in clients:
            for _ in range(repeat):
                ours = await load(revisit.url, document, headers, clients=count, seconds=seconds)
                theirs = await load(baseline.url, document, {}, clients=count, seconds=seconds)
                results.setdefault((name, count), []).append((ours, theirs))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=5000)
    parser.add_argument("--orders", type=int, default=20000)
    parser.add_argument("--seconds", type=float, default=4.0, help="per measurement")
    parser.add_argument("--clients", default="1,8", help="concurrent clients, comma-separated")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--baseline", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.baseline:
        import uvicorn

        uvicorn.run(baseline_app(), host="127.0.0.1", port=args.port, log_level="warning", access_log=False)
        return
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    database_url = asyncio.run(_fresh_database())
    redis_url = os.environ.get("REVISIT_BENCH_REDIS_URL") or embedded.redis_url(BENCH_DIR)
    tenant_id, token, customers, orders, items = asyncio.run(
        seed(database_url, customers=args.customers, orders=args.orders)
    )
    revisit = start_revisit(database_url, redis_url)
    try:
        baseline = start_baseline(database_url, tenant_id)
        try:
            _same_answers(revisit, baseline, {"Authorization": f"Bearer {token}"})
            clients = [int(value) for value in args.clients.split(",")]
            results = asyncio.run(
                measure(revisit, baseline, token, clients=clients, seconds=args.seconds, repeat=args.repeat)
            )
        finally:
            baseline.stop()
    finally:
        revisit.stop()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(
        f"store: {customers} customers, {orders} orders, {items} order lines; {args.seconds:g} s per figure\n"
    )
    print("\n".join(_rows(results)))


if __name__ == "__main__":
    main()
