"""Each customer's metrics, scores and lifecycle stage, kept in their ``customers`` row.

Two layers, each one statement:

- **from the orders** (:data:`_FROM_ORDERS`): orders count, spend, first and last order, average order
  value, mean and median days between orders, refunds. Processing refreshes them for the customers a
  batch touched; :func:`rebuild_customer_metrics` recomputes a whole store (after a bulk load).
- **from the store's model** (:data:`_FROM_MODEL`): RFM scores against the store's quintiles and the
  lifecycle stage against its purchase cycle. Refreshed with the first layer, and by the nightly
  refresh, which writes only the customers whose scores or stage time has moved.

The chance a customer is still active and their expected next order are computed when read, from the
same row and the store's BG/NBD parameters (:mod:`domain.intelligence.prediction`).

The lifecycle stage with the store's cycle C in whole days, d the whole days since the last order:
``prospect`` no order; ``churned`` d > 3C; ``about_to_lose`` 2C < d ≤ 3C; ``at_risk`` C < d ≤ 2C; and
among the recent (d ≤ C): ``new`` one order, ``loyal`` at least :attr:`StoreModel.loyal_orders`,
``active`` the others. The built-in segments say the same in conditions (:mod:`domain.segments.builtins`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient

from domain.customers.service import PURCHASE_STATUSES
from domain.intelligence.store import StoreModel

_AGGREGATES = """
    count(*) FILTER (WHERE o.status = ANY({statuses})) AS orders_count,
    COALESCE(sum(GREATEST(o.total - o.refunded_total, 0)) FILTER (WHERE o.status = ANY({statuses})), 0)
        AS total_spent,
    min(o.placed_at) FILTER (WHERE o.status = ANY({statuses})) AS first_order_at,
    max(o.placed_at) FILTER (WHERE o.status = ANY({statuses})) AS last_order_at,
    count(*) FILTER (WHERE o.refunded_total > 0) AS refunds_count,
    COALESCE(sum(o.refunded_total), 0) AS refunded_total
"""
_GAP = (
    "extract(epoch FROM o.placed_at - lag(o.placed_at) OVER ({partition} ORDER BY o.placed_at, o.id)) / 86400"
)
_SET_FROM_ORDERS = """
SET orders_count = m.orders_count, total_spent = m.total_spent,
    first_order_at = m.first_order_at, last_order_at = m.last_order_at,
    average_order_value = CASE WHEN m.orders_count > 0 THEN m.total_spent / m.orders_count ELSE 0 END,
    average_days_between_orders = CASE WHEN m.orders_count > 1
        THEN extract(epoch FROM m.last_order_at - m.first_order_at) / 86400 / (m.orders_count - 1) END,
    median_days_between_orders = m.median_gap,
    refunds_count = m.refunds_count, refunded_total = m.refunded_total
"""
_FROM_ORDERS = f"""
UPDATE customers AS c
{_SET_FROM_ORDERS}
FROM (
    SELECT t.id, a.*, g.median_gap
    FROM unnest($2::uuid[]) AS t(id)
    -- index look-ups of each customer's own orders, whatever plan the statement is given
    CROSS JOIN LATERAL (
        SELECT {_AGGREGATES.format(statuses="$3::text[]")} FROM orders AS o
        WHERE o.tenant_id = $1 AND o.customer_id = t.id
    ) AS a
    CROSS JOIN LATERAL (
        SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY gap) AS median_gap
        FROM (SELECT {_GAP.format(partition="")} AS gap FROM orders AS o
              WHERE o.tenant_id = $1 AND o.customer_id = t.id AND o.status = ANY($3::text[])) AS gaps
        WHERE gap IS NOT NULL
    ) AS g
) AS m
WHERE c.tenant_id = $1 AND c.id = m.id
"""
_REBUILD = f"""
WITH per AS (
    SELECT o.customer_id, {_AGGREGATES.format(statuses="$2::text[]")} FROM orders AS o
    WHERE o.tenant_id = $1 AND o.customer_id IS NOT NULL GROUP BY o.customer_id
), gaps AS (
    SELECT customer_id, percentile_cont(0.5) WITHIN GROUP (ORDER BY gap) AS median_gap
    FROM (SELECT o.customer_id, {_GAP.format(partition="PARTITION BY o.customer_id")} AS gap FROM orders AS o
          WHERE o.tenant_id = $1 AND o.customer_id IS NOT NULL AND o.status = ANY($2::text[])) AS all_gaps
    WHERE gap IS NOT NULL GROUP BY customer_id
), rebuilt AS (
UPDATE customers AS c
{_SET_FROM_ORDERS}
FROM (
    SELECT k.id, COALESCE(per.orders_count, 0) AS orders_count, COALESCE(per.total_spent, 0) AS total_spent,
           per.first_order_at, per.last_order_at, COALESCE(per.refunds_count, 0) AS refunds_count,
           COALESCE(per.refunded_total, 0) AS refunded_total, gaps.median_gap
    FROM customers AS k
    LEFT JOIN per ON per.customer_id = k.id
    LEFT JOIN gaps ON gaps.customer_id = k.id
    WHERE k.tenant_id = $1
) AS m
WHERE c.tenant_id = $1 AND c.id = m.id
RETURNING 1
)
SELECT count(*) AS rebuilt FROM rebuilt
"""

# How many of a store's four quintile cuts lie below a customer's value: their score is 1 + that
# (recency: 5 − that, fewer days being better). Ties at a cut score low, as quintiles of ranks would.
_BELOW = (
    "((({breaks}::float8[])[1] < {value})::int + (({breaks}::float8[])[2] < {value})::int"
    " + (({breaks}::float8[])[3] < {value})::int + (({breaks}::float8[])[4] < {value})::int)"
)
_DAYS_SINCE_LAST = "extract(epoch FROM $2::timestamptz - c.last_order_at) / 86400"
_FROM_MODEL = f"""
WITH rescored AS (
UPDATE customers AS c
SET recency_score = s.recency, frequency_score = s.frequency, monetary_score = s.monetary,
    lifecycle_stage = s.stage
FROM (
    SELECT c.id,
        CASE WHEN c.orders_count > 0 AND cardinality($3::float8[]) = 4
             THEN 5 - {_BELOW.format(breaks="$3", value=_DAYS_SINCE_LAST)} END AS recency,
        CASE WHEN c.orders_count > 0 AND cardinality($4::float8[]) = 4
             THEN 1 + {_BELOW.format(breaks="$4", value="c.orders_count")} END AS frequency,
        CASE WHEN c.orders_count > 0 AND cardinality($5::float8[]) = 4
             THEN 1 + {_BELOW.format(breaks="$5", value="c.total_spent")} END AS monetary,
        CASE WHEN c.orders_count = 0 THEN 'prospect'
             WHEN c.last_order_at <= $8::timestamptz THEN 'churned'
             WHEN c.last_order_at <= $7::timestamptz THEN 'about_to_lose'
             WHEN c.last_order_at <= $6::timestamptz THEN 'at_risk'
             WHEN c.orders_count = 1 THEN 'new'
             WHEN c.orders_count >= $9::int THEN 'loyal'
             ELSE 'active' END AS stage
    FROM customers AS c
    WHERE c.tenant_id = $1 AND ($10::uuid[] IS NULL OR c.id = ANY($10::uuid[]))
) AS s
WHERE c.tenant_id = $1 AND c.id = s.id
  AND (c.recency_score, c.frequency_score, c.monetary_score, c.lifecycle_stage)
      IS DISTINCT FROM (s.recency, s.frequency, s.monetary, s.stage)
RETURNING 1
)
SELECT count(*) AS rescored FROM rescored
"""


async def refresh_customers(
    connection: BaseDBAsyncClient,
    *,
    tenant_id: UUID,
    customer_ids: Iterable[UUID],
    now: datetime,
    model: StoreModel,
) -> None:
    """Recompute both layers for these customers (two statements, whatever their number) with the
    store's ``model`` (:func:`domain.intelligence.store.load`)."""
    wanted = sorted(set(customer_ids))
    if not wanted:
        return
    await connection.execute_query(_FROM_ORDERS, [tenant_id, wanted, list(PURCHASE_STATUSES)])
    await apply_model(connection, tenant_id=tenant_id, model=model, now=now, customer_ids=wanted)


async def apply_model(
    connection: BaseDBAsyncClient,
    *,
    tenant_id: UUID,
    model: StoreModel,
    now: datetime,
    customer_ids: list[UUID] | None = None,
) -> int:
    """Scores, stage and prediction of these customers (None: all of the store's); returns how many
    rows changed."""
    parameters = _model_parameters(tenant_id, model, now, customer_ids)
    [row] = await connection.execute_query_dict(_FROM_MODEL, parameters)
    return int(row["rescored"])


async def rebuild_customer_metrics(*, tenant_id: UUID) -> int:
    """Recompute every customer's order metrics from the store's orders (after a bulk load); returns
    how many customers it wrote. Runs in the caller's transaction."""
    connection = connections.get("default")
    [row] = await connection.execute_query_dict(_REBUILD, [tenant_id, list(PURCHASE_STATUSES)])
    return int(row["rebuilt"])


def _model_parameters(
    tenant_id: UUID, model: StoreModel, now: datetime, customer_ids: list[UUID] | None
) -> list[Any]:
    cycle = model.cycle_days
    # A stage boundary "more than k cycles" is "at least k·C + 1 whole days", as segment conditions count.
    cuts = [now - timedelta(days=k * cycle + 1) for k in (1, 2, 3)]
    return [
        tenant_id,
        now,
        model.recency_breaks,
        model.frequency_breaks,
        model.monetary_breaks,
        *cuts,
        model.loyal_orders,
        customer_ids,
    ]
