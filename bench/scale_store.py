"""A store of a million customers and five million orders, written straight into PostgreSQL with COPY.

    uv run python -m bench.scale_store [--customers 1000000] [--orders 5000000] [--seed 7]

One synthetic store, not through the API: the tenant row, its customers, orders with their lines,
coupon codes, refunds, and a few outbound messages. Purchase histories follow the BG/NBD process with
known parameters, so a model fitted to the store can be compared with the truth:

- each buying customer's purchase rate is λ ~ Gamma(r, α) (α in days, so λ is per day), their
  dropout probability p ~ Beta(a, b);
- the first purchase falls uniformly over the three-year history; each next one comes after an
  exponential wait of rate λ, and after every repeat purchase the customer leaves for good with
  probability p (the model's own rule: nobody leaves straight after the first purchase);
- α is set so that the expected number of orders is ``--orders`` (about 15 % of the customers never
  buy), so the count written is close to, not exactly, that.

Every value comes from one numpy generator seeded by (seed, customers, orders), and time is an offset
from ``end``, so the same arguments write the same rows. Rows are made and copied a chunk of customers
at a time, so memory stays bounded.

The load follows PostgreSQL's advice for populating a database: one transaction drops the written
tables' secondary indexes and outgoing foreign keys, copies, then builds the indexes and validates the
keys in bulk (a failure rolls all of it back); ids grow with the rows (a random tail after a counter), so
the primary keys fill at their right edge. It is meant for a benchmark database: the tables are locked
while it runs, and their indexes are rebuilt whole, so write the largest store last. ANALYZE follows.

Uses REVISIT_BENCH_DATABASE_URL, else the embedded PostgreSQL under .revisit/bench (database
``revisit_scale``, kept between runs); the schema is migrated first. Prints the tenant id, the time it
took and the row counts.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import asyncpg
import jdatetime
import numpy as np

from bench.synthetic import COUPON_CODES, EMAIL_DOMAINS, FIRST_NAMES, LAST_NAMES, REFUND_REASONS
from revisit import database, embedded

BENCH_DIR = Path(".revisit/bench")
END = datetime(2026, 12, 1, tzinfo=UTC)
HISTORY_DAYS = 3 * 365
CHUNK = 20_000
"""Customers per chunk: about 100k orders and 150k lines of rows in memory at a time."""

BUYERS = 0.85
"""The share of customers with at least one order; the others signed up and never bought."""

R, A, B = 0.7, 1.3, 3.5
"""The BG/NBD shape parameters; the scale α is calibrated to the requested number of orders."""

PRODUCTS = 2_000
CATEGORIES = 40
MEDIAN_ORDER = 8_000_000
"""IRR (rials)."""

# Tehran dominates, as it does in Iranian online retail.
CITIES: tuple[tuple[str, int], ...] = (
    ("تهران", 300), ("مشهد", 70), ("اصفهان", 60), ("شیراز", 50), ("تبریز", 45), ("کرج", 45),
    ("اهواز", 30), ("قم", 28), ("رشت", 26), ("کرمانشاه", 22), ("یزد", 20), ("ارومیه", 18),
    ("ساری", 16), ("کرمان", 16), ("همدان", 15), ("اراک", 13), ("زاهدان", 12), ("اردبیل", 11),
    ("بندرعباس", 11), ("قزوین", 10), ("زنجان", 9), ("سنندج", 8), ("گرگان", 8), ("خرم‌آباد", 7),
    ("بوشهر", 6), ("سمنان", 5), ("بیرجند", 5), ("بجنورد", 4), ("ایلام", 3), ("شهرکرد", 3),
)  # fmt: skip
TAGS = ("vip", "wholesale", "newsletter", "instagram", "telegram", "b2b", "student", "gift")
MESSAGE_BODIES = (
    "مشتری عزیز، ۲۰٪ تخفیف ویژه شما تا پایان هفته فعال است.",
    "دلمان برایتان تنگ شده! با کد BAZGASHT از خرید بعدی‌تان هدیه بگیرید.",
    "تولدتان مبارک! یک هدیه در حساب شما منتظر است.",
)
_EPOCH_2000 = datetime(2000, 1, 1, tzinfo=UTC)
_US_PER_DAY = 86_400_000_000

CUSTOMER_COLUMNS = (
    "id", "tenant_id", "external_id", "phone", "email", "first_name", "last_name", "city", "birthday",
    "birth_month", "birth_day", "marketing_consent", "consent_source", "tags", "created_at", "updated_at",
)  # fmt: skip
ORDER_COLUMNS = (
    "id", "tenant_id", "customer_id", "external_id", "number", "status", "currency", "total", "subtotal",
    "discount_total", "shipping_total", "tax_total", "refunded_total", "credit_used", "coupon_codes",
    "billing", "placed_at", "completed_at", "source_updated_at", "created_at", "updated_at",
)  # fmt: skip
LINE_COLUMNS = (
    "id", "tenant_id", "order_id", "product_id", "name", "sku", "quantity", "total", "category_ids",
)  # fmt: skip
REFUND_COLUMNS = (
    "id",
    "tenant_id",
    "order_id",
    "external_id",
    "amount",
    "reason",
    "refunded_at",
    "created_at",
)
MESSAGE_COLUMNS = (
    "id", "tenant_id", "customer_id", "origin_key", "purpose", "phone", "body", "encoding", "parts",
    "status", "provider", "provider_message_id", "attempts", "created_at", "updated_at", "sent_at",
)  # fmt: skip
TABLES = ("customers", "orders", "order_items", "refunds", "outbound_messages")


@dataclass(frozen=True)
class TrueModel:
    """The BG/NBD parameters the purchase histories were drawn from (α in days)."""

    r: float
    alpha: float
    a: float
    b: float


@dataclass(frozen=True)
class ScaleStore:
    """What was written: the store, the truth behind it, the history's end, row counts and seconds."""

    tenant_id: UUID
    name: str
    model: TrueModel
    end: datetime
    counts: dict[str, int]
    seconds: float


def store_name(customers: int, orders: int, seed: int) -> str:
    """The tenant name of the store these arguments write (a benchmark finds a kept store by it)."""
    return f"scale {customers}/{orders} seed {seed}"


class _Ids:
    """UUIDs (version 4 layout) whose first six bytes count up and whose other bits are random."""

    def __init__(self, rng: np.random.Generator) -> None:
        self._rng = rng
        self._next = 0

    def take(self, count: int) -> list[str]:
        raw = self._rng.integers(0, 256, size=(count, 16), dtype=np.uint8)
        counter = np.arange(self._next, self._next + count, dtype=">u8").view(np.uint8).reshape(count, 8)
        raw[:, :6] = counter[:, 2:]
        raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
        raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
        self._next += count
        text = raw.tobytes().hex()
        return [text[i : i + 32] for i in range(0, 32 * count, 32)]


def _simulate(
    rate: np.ndarray, dropout: np.ndarray, first: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """The BG/NBD process for customers whose first purchase is at ``first`` (days into the history).

    Returns (customer index, day) of every purchase, grouped by customer in time order.
    """
    who, when = [np.arange(rate.size)], [first]
    active, t = np.arange(rate.size), first
    while active.size:
        t = t + rng.exponential(1.0 / rate[active])
        inside = t < HISTORY_DAYS
        active, t = active[inside], t[inside]
        who.append(active)
        when.append(t)
        stays = rng.random(active.size) >= dropout[active]
        active, t = active[stays], t[stays]
    customer, day = np.concatenate(who), np.concatenate(when)
    order = np.lexsort((day, customer))
    return customer[order], day[order]


def calibrate_alpha(orders_per_buyer: float, seed: int) -> float:
    """The α (days) whose expected orders per buyer over the history is ``orders_per_buyer``.

    Bisection on log α over a 50,000-customer pilot drawn with the same random numbers each time.
    """
    if orders_per_buyer <= 1.0:
        return 1e9
    low, high = 0.01, 1e7
    for _ in range(25):
        alpha = (low * high) ** 0.5
        rng = np.random.default_rng([seed, 0])
        shape = rng.gamma(R, 1.0, 50_000)
        dropout = rng.beta(A, B, 50_000)
        first = rng.uniform(0, HISTORY_DAYS, 50_000)
        customers, _ = _simulate(shape / alpha, dropout, first, rng)
        if customers.size / 50_000 > orders_per_buyer:
            low = alpha
        else:
            high = alpha
    return (low * high) ** 0.5


def true_model(customers: int, orders: int, seed: int) -> TrueModel:
    """The parameters the store of these arguments is drawn from (without writing it)."""
    buyers = min(round(customers * BUYERS), orders)
    return TrueModel(R, calibrate_alpha(orders / max(buyers, 1), seed), A, B)


def _us(days: np.ndarray, start: datetime) -> list[int]:
    """Days after ``start`` as PostgreSQL's timestamptz: microseconds since 2000-01-01 UTC."""
    base = int((start - _EPOCH_2000).total_seconds()) * 1_000_000
    values: list[int] = (base + (days * _US_PER_DAY).astype(np.int64)).tolist()
    return values


def _jalali_table(first: date, days: int) -> tuple[np.ndarray, np.ndarray]:
    """The Jalali month and day of each of ``days`` Gregorian days from ``first``."""
    months, month_days = np.empty(days, np.int16), np.empty(days, np.int16)
    for n in range(days):
        jalali = jdatetime.date.fromgregorian(date=first + timedelta(days=n))
        months[n], month_days[n] = jalali.month, jalali.day
    return months, month_days


class _Store:
    """The generator of one store's rows, chunk by chunk."""

    def __init__(self, tenant_id: str, customers: int, orders: int, seed: int, end: datetime) -> None:
        self.tenant_id = tenant_id
        self.customers = customers
        self.start = end - timedelta(days=HISTORY_DAYS)
        self.end = end
        self.rng = np.random.default_rng([seed, customers, orders])
        self.buyers = min(round(customers * BUYERS), orders)
        self.model = true_model(customers, orders, seed)
        self.ids = {table: _Ids(self.rng) for table in TABLES}
        self.order_number = 10_000_000
        self.birthdays_from = date(1965, 1, 1)
        self.jalali = _jalali_table(self.birthdays_from, (date(2008, 1, 1) - self.birthdays_from).days)

        cities = np.array([weight for _, weight in CITIES], float)
        self.city_names = [name for name, _ in CITIES]
        self.city_weights = cities / cities.sum()
        # Tag lists: none for about half, then one or two tags, "vip" among the rarer ones.
        singles = [[tag] for tag in TAGS]
        pairs = [[TAGS[i], TAGS[j]] for i in range(len(TAGS)) for j in range(i + 1, len(TAGS))]
        self.tag_lists = ["[]"] + [self._json(tags) for tags in singles + pairs]
        weights = np.array([45.0] + [40.0 / len(singles)] * len(singles) + [15.0 / len(pairs)] * len(pairs))
        self.tag_weights = weights / weights.sum()
        self.phone_step = 3_967_821  # coprime with 10**7: n -> (step * n + 1234567) % 10**7 is one-to-one
        if customers > 10**7:
            raise ValueError("at most 10,000,000 customers: their phones share one 10**7-number range")

        # The catalogue: products of skewed popularity, each in one of the categories (also skewed).
        popularity = 1.0 / (np.arange(PRODUCTS) + 10.0) ** 0.9
        self.product_weights = popularity / popularity.sum()
        category_weights = 1.0 / (np.arange(CATEGORIES) + 3.0)
        self.product_category = self.rng.choice(
            CATEGORIES, size=PRODUCTS, p=category_weights / category_weights.sum()
        )
        self.product_prices = np.round(np.exp(self.rng.normal(np.log(4_000_000), 0.9, PRODUCTS)), -3)
        self.product_ids = [f"p-{k}" for k in range(PRODUCTS)]
        self.product_names = [f"کالای {k}" for k in range(PRODUCTS)]
        self.product_skus = [f"SKU-{k:05d}" for k in range(PRODUCTS)]
        self.product_categories = [f'["c{c}"]' for c in self.product_category]
        self.coupons = [self._json([code]) for code in COUPON_CODES]

    @staticmethod
    def _json(values: Sequence[str]) -> str:
        return "[" + ", ".join(f'"{value}"' for value in values) + "]"

    def chunks(self) -> Iterator[dict[str, list[tuple[Any, ...]]]]:
        """Rows of every table, ``CHUNK`` customers (and all they did) at a time."""
        for first in range(0, self.customers, CHUNK):
            yield self._chunk(first, min(CHUNK, self.customers - first))

    def _chunk(self, first: int, size: int) -> dict[str, list[tuple[Any, ...]]]:
        rng = self.rng
        numbers = np.arange(first, first + size)
        buys = numbers < self.buyers  # buyers first; who they are is otherwise drawn like everyone else
        buyer_index = np.flatnonzero(buys)
        rate = rng.gamma(self.model.r, 1.0 / self.model.alpha, buyer_index.size)
        dropout = rng.beta(self.model.a, self.model.b, buyer_index.size)
        first_purchase = rng.uniform(0, HISTORY_DAYS, buyer_index.size)
        who, day = _simulate(rate, dropout, first_purchase, rng)
        who = buyer_index[who]

        signed_up = rng.uniform(0, HISTORY_DAYS, size)
        signed_up[buyer_index] = np.maximum(first_purchase - rng.exponential(2.0, buyer_index.size), 0.0)
        customers = self._customers(numbers, signed_up)
        orders, lines, refunds = self._orders(customers, who, day)
        return {
            "customers": customers,
            "orders": orders,
            "order_items": lines,
            "refunds": refunds,
            "outbound_messages": self._messages(customers),
        }

    def _customers(self, numbers: np.ndarray, signed_up: np.ndarray) -> list[tuple[Any, ...]]:
        rng, size = self.rng, numbers.size
        ids = self.ids["customers"].take(size)
        first_names = rng.integers(0, len(FIRST_NAMES), size).tolist()
        last_names = rng.integers(0, len(LAST_NAMES), size).tolist()
        domains = rng.integers(0, len(EMAIL_DOMAINS), size).tolist()
        cities = rng.choice(len(CITIES), size=size, p=self.city_weights).tolist()
        tags = rng.choice(len(self.tag_lists), size=size, p=self.tag_weights).tolist()
        has_phone = (rng.random(size) < 0.95).tolist()
        has_email = (rng.random(size) < 0.70).tolist()
        consent = (rng.random(size) < 0.88).tolist()
        has_birthday = rng.random(size) < 0.60
        birth_offsets = rng.integers(0, self.jalali[0].size, size)
        birthdays = (np.datetime64(self.birthdays_from) + birth_offsets).astype("datetime64[D]").tolist()
        months, days = self.jalali[0][birth_offsets].tolist(), self.jalali[1][birth_offsets].tolist()
        created = _us(signed_up, self.start)
        rows = []
        for k, n in enumerate(numbers.tolist()):
            first_name, latin_first = FIRST_NAMES[first_names[k]]
            last_name, latin_last = LAST_NAMES[last_names[k]]
            phone = f"+98912{(self.phone_step * n + 1_234_567) % 10**7:07d}" if has_phone[k] else None
            email = f"{latin_first}.{latin_last}.{n}@{EMAIL_DOMAINS[domains[k]]}" if has_email[k] else None
            born = bool(has_birthday[k])
            rows.append(
                (
                    ids[k],
                    self.tenant_id,
                    str(1_000_000 + n),
                    phone,
                    email,
                    first_name,
                    last_name,
                    self.city_names[cities[k]],
                    birthdays[k] if born else None,
                    months[k] if born else None,
                    days[k] if born else None,
                    consent[k],
                    "store",
                    self.tag_lists[tags[k]],
                    created[k],
                    created[k],
                )
            )
        return rows

    def _orders(
        self, customers: list[tuple[Any, ...]], who: np.ndarray, day: np.ndarray
    ) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        """Orders at the purchase days (``who`` indexes ``customers``), with their lines and refunds."""
        rng, count = self.rng, who.size
        spender = np.exp(rng.normal(0.0, 0.4, len(customers)))  # some customers spend more than others
        subtotal = np.round(np.exp(rng.normal(np.log(MEDIAN_ORDER), 0.75, count)) * spender[who], -3)
        subtotal = np.maximum(subtotal, 10_000)
        coupon = rng.random(count) < 0.12
        discount = np.where(coupon, np.round(subtotal * 0.1, -3), 0)
        shipping = np.where(subtotal >= 20_000_000, 0, rng.choice([350_000, 450_000, 600_000], count))
        total = subtotal - discount + shipping
        coupons = rng.integers(0, len(self.coupons), count)

        # Orders of the last three days are still processing; the others were completed within three
        # days, except a few cancelled and a few refunded in full; a few completed ones partly refunded.
        recent = day > HISTORY_DAYS - 3
        fate = rng.random(count)
        cancelled = ~recent & (fate < 0.025)
        refunded = ~recent & (fate >= 0.025) & (fate < 0.035)
        partly = ~recent & (fate >= 0.035) & (fate < 0.045)
        status = np.where(recent, 1, np.where(cancelled, 2, np.where(refunded, 3, 0)))
        done_day = day + rng.uniform(0.05, 3.0, count)
        refund_amount = np.where(refunded, total, np.where(partly, np.round(total * 0.3, -3), 0))
        refund_day = np.minimum(done_day + rng.uniform(0.5, 10.0, count), HISTORY_DAYS)

        ids = self.ids["orders"].take(count)
        placed, done = _us(day, self.start), _us(done_day, self.start)
        completes = (status == 0) | (status == 3)
        names = ("completed", "processing", "cancelled", "refunded")
        rows = []
        customer_ids = [customers[k][0] for k in who.tolist()]
        lists = (status, total, subtotal, discount, shipping, refund_amount, coupon, coupons, completes)
        columns = [column.tolist() for column in lists]
        for k, (state, paid, sub, off, ship, back, used, code, completed) in enumerate(
            zip(*columns, strict=True)
        ):
            number = str(self.order_number + k)
            completed_at = done[k] if completed else None
            changed = done[k] if state != 1 else placed[k]
            rows.append(
                (
                    ids[k],
                    self.tenant_id,
                    customer_ids[k],
                    number,
                    number,
                    names[state],
                    "IRR",
                    paid,
                    sub,
                    off,
                    ship,
                    0,
                    back,
                    0,
                    self.coupons[code] if used else "[]",
                    "{}",
                    placed[k],
                    completed_at,
                    changed,
                    placed[k],
                    changed,
                )
            )

        refunded_orders = np.flatnonzero(refund_amount > 0)
        refund_ids = self.ids["refunds"].take(refunded_orders.size)
        refund_at = _us(refund_day[refunded_orders], self.start)
        reasons = rng.integers(0, len(REFUND_REASONS), refunded_orders.size).tolist()
        refunds = [
            (
                refund_ids[j],
                self.tenant_id,
                ids[k],
                f"r{self.order_number + k}",
                int(refund_amount[k]),
                REFUND_REASONS[reasons[j]],
                refund_at[j],
                refund_at[j],
            )
            for j, k in enumerate(refunded_orders.tolist())
        ]
        lines = self._lines(ids, subtotal)
        self.order_number += count
        return rows, lines, refunds

    def _lines(self, order_ids: list[str], subtotal: np.ndarray) -> list[tuple[Any, ...]]:
        """One to three lines an order (1.5 on average) whose totals add up to the order's subtotal."""
        rng = self.rng
        if not order_ids:  # a chunk of customers who never bought
            return []
        per_order = rng.choice([1, 2, 3], size=len(order_ids), p=[0.6, 0.3, 0.1])
        order = np.repeat(np.arange(len(order_ids)), per_order)
        opens = np.zeros(order.size, bool)
        opens[np.cumsum(per_order) - per_order] = True
        weight = rng.uniform(0.2, 1.0, order.size)
        running = np.cumsum(weight)
        within = running - (running - weight)[opens][order]  # the weights so far in the line's order
        closes = np.append(opens[1:], True)
        cut = np.where(closes, subtotal[order], np.round(subtotal[order] * within / within[closes][order]))
        totals = cut - np.where(opens, 0.0, np.append(0.0, cut[:-1]))
        products = rng.choice(PRODUCTS, size=order.size, p=self.product_weights).tolist()
        quantity = np.where(rng.random(order.size) < 0.15, 2, 1).tolist()
        ids = self.ids["order_items"].take(order.size)
        return [
            (
                ids[k],
                self.tenant_id,
                order_ids[o],
                self.product_ids[p],
                self.product_names[p],
                self.product_skus[p],
                q,
                t,
                self.product_categories[p],
            )
            for k, (o, p, q, t) in enumerate(
                zip(order.tolist(), products, quantity, totals.astype(np.int64).tolist(), strict=True)
            )
        ]

    def _messages(self, customers: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        """One to three marketing SMS in the last 120 days to about one customer in ten with a phone."""
        rng = self.rng
        chosen = [k for k in np.flatnonzero(rng.random(len(customers)) < 0.10).tolist() if customers[k][3]]
        per_customer = rng.integers(1, 4, len(chosen))
        who = np.repeat(np.array(chosen, dtype=np.int64), per_customer).tolist()
        sent_day = rng.uniform(HISTORY_DAYS - 120, HISTORY_DAYS, len(who))
        sent = _us(sent_day, self.start)
        bodies = rng.integers(0, len(MESSAGE_BODIES), len(who)).tolist()
        failed = (rng.random(len(who)) < 0.03).tolist()
        ids = self.ids["outbound_messages"].take(len(who))
        rows = []
        for j, k in enumerate(who):
            customer = customers[k]
            rows.append(
                (
                    ids[j],
                    self.tenant_id,
                    customer[0],
                    f"scale:{ids[j]}",
                    "marketing",
                    customer[3],
                    MESSAGE_BODIES[bodies[j]],
                    "ucs2",
                    1,
                    "failed" if failed[j] else "sent",
                    "kavenegar",
                    None if failed[j] else f"k{ids[j][-12:]}",
                    1,
                    sent[j],
                    sent[j],
                    None if failed[j] else sent[j],
                )
            )
        return rows


async def _secondary(connection: asyncpg.Connection) -> tuple[list[str], list[str], list[str]]:
    """Drop the written tables' outgoing foreign keys and indexes backing no constraint.

    Returns the statements that put them back: indexes first, then the keys (validated in bulk).
    """
    indexes = await connection.fetch(
        """
        SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS definition
        FROM pg_index i
        WHERE i.indrelid = ANY($1::regclass[])
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
        """,
        list(TABLES),
    )
    keys = await connection.fetch(
        """
        SELECT conrelid::regclass::text AS tbl, conname AS name, pg_get_constraintdef(oid) AS definition
        FROM pg_constraint WHERE contype = 'f' AND conrelid = ANY($1::regclass[])
        """,
        list(TABLES),
    )
    drops = [f'ALTER TABLE {key["tbl"]} DROP CONSTRAINT "{key["name"]}"' for key in keys]
    drops += [f"DROP INDEX {index['name']}" for index in indexes]
    index_statements = [index["definition"] for index in indexes]
    key_statements = [
        f'ALTER TABLE {key["tbl"]} ADD CONSTRAINT "{key["name"]}" {key["definition"]}' for key in keys
    ]
    return drops, index_statements, key_statements


async def write_store(
    connection: asyncpg.Connection, *, customers: int, orders: int, seed: int, end: datetime = END
) -> ScaleStore:
    """Write one synthetic store of ``customers`` customers and about ``orders`` orders (see the module)."""
    started = time.perf_counter()
    name = store_name(customers, orders, seed)
    tenant_id = UUID(bytes=np.random.default_rng([seed, customers, orders, 0]).bytes(16), version=4)
    store = _Store(str(tenant_id), customers, orders, seed, end)
    # Timestamps go over the wire as PostgreSQL's own integers: no datetime object per value.
    await connection.set_type_codec(
        "timestamptz", schema="pg_catalog", encoder=lambda v: (v,), decoder=lambda v: v[0], format="tuple"
    )
    columns = {
        "customers": CUSTOMER_COLUMNS,
        "orders": ORDER_COLUMNS,
        "order_items": LINE_COLUMNS,
        "refunds": REFUND_COLUMNS,
        "outbound_messages": MESSAGE_COLUMNS,
    }
    counts = dict.fromkeys(TABLES, 0)
    async with connection.transaction():
        await connection.execute("SET LOCAL maintenance_work_mem = '1GB'")
        await connection.execute(
            "INSERT INTO tenants (id, name, currency, timezone, created_at, updated_at) "
            "VALUES ($1, $2, 'IRR', 'Asia/Tehran', $3, $3)",
            tenant_id,
            name,
            _us(np.zeros(1), store.start)[0],
        )
        drops, index_statements, key_statements = await _secondary(connection)
        for statement in drops:
            await connection.execute(statement)
        for chunk in store.chunks():
            for table in TABLES:
                await connection.copy_records_to_table(table, records=chunk[table], columns=columns[table])
                counts[table] += len(chunk[table])
        for statement in index_statements + key_statements:
            await connection.execute(statement)
    await connection.reset_type_codec("timestamptz", schema="pg_catalog")
    for table in TABLES:
        await connection.execute(f"ANALYZE {table}")
    return ScaleStore(tenant_id, name, store.model, end, counts, time.perf_counter() - started)


def database_url() -> str:
    """REVISIT_BENCH_DATABASE_URL, else the embedded PostgreSQL's ``revisit_scale`` (kept)."""
    return os.environ.get("REVISIT_BENCH_DATABASE_URL") or embedded.postgres_url(
        BENCH_DIR, database="revisit_scale"
    )


async def run(customers: int, orders: int, seed: int) -> ScaleStore:
    url = database_url()
    await database.migrate(url)
    await database.close()
    connection = await asyncpg.connect(url)
    try:
        return await write_store(connection, customers=customers, orders=orders, seed=seed)
    finally:
        await connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--orders", type=int, default=5_000_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    store = asyncio.run(run(args.customers, args.orders, args.seed))
    model = store.model
    print(store.tenant_id)
    print(f"{store.name}: written in {store.seconds:.1f} s")
    print(", ".join(f"{table} {count:,}" for table, count in store.counts.items()))
    print(f"BG/NBD truth: r={model.r}, alpha={model.alpha:.2f} days, a={model.a}, b={model.b}")


if __name__ == "__main__":
    main()
