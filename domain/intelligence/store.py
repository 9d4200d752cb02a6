"""What one store's customers say about the store as a whole: how long its purchase cycle is, where
its RFM quintiles fall, and the purchase model fitted to its histories.

:func:`learn` recomputes all of it from the customers' metrics (the nightly refresh); :func:`load`
reads the last result (every batch of events). A store without enough returning customers keeps the
defaults: a 30-day cycle and the published BG/NBD parameters, until its own data can say better.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final
from uuid import UUID

import numpy as np
from tortoise.backends.base.client import BaseDBAsyncClient

from domain.intelligence import bgnbd
from domain.intelligence.models import StoreIntelligence

DEFAULT_CYCLE_DAYS: Final = 30
MIN_RETURNING: Final = 30
"""Returning customers a store needs before its own median cycle replaces the default."""
CYCLE_BOUNDS: Final = (7, 365)
MIN_LOYAL_ORDERS: Final = 3


@dataclass(frozen=True)
class StoreModel:
    """The store-wide figures every customer's scores, stage and prediction are computed with."""

    cycle_days: int = DEFAULT_CYCLE_DAYS
    cycle_learnt: bool = False
    returning_customers: int = 0
    recency_breaks: list[float] = field(default_factory=list)
    frequency_breaks: list[float] = field(default_factory=list)
    monetary_breaks: list[float] = field(default_factory=list)
    parameters: bgnbd.Parameters = bgnbd.PRIORS
    fitted: bool = False
    customers: int = 0

    @property
    def loyal_orders(self) -> int:
        """Orders that make a recent customer loyal: at least 3, or more where most customers buy often
        (the top fifth of the store's order counts)."""
        top_fifth = self.frequency_breaks[3] if len(self.frequency_breaks) == 4 else 0
        return max(MIN_LOYAL_ORDERS, math.ceil(top_fifth))


_CYCLE = """
SELECT count(*) AS returning, percentile_cont(0.5) WITHIN GROUP (ORDER BY median_days_between_orders) AS cycle
FROM customers
WHERE tenant_id = $1 AND orders_count >= 2 AND median_days_between_orders IS NOT NULL
"""
_QUINTILES = """
SELECT percentile_cont(ARRAY[0.2, 0.4, 0.6, 0.8]) WITHIN GROUP (
           ORDER BY extract(epoch FROM $2::timestamptz - last_order_at) / 86400) AS recency,
       percentile_cont(ARRAY[0.2, 0.4, 0.6, 0.8]) WITHIN GROUP (ORDER BY orders_count) AS frequency,
       percentile_cont(ARRAY[0.2, 0.4, 0.6, 0.8]) WITHIN GROUP (ORDER BY total_spent) AS monetary
FROM customers
WHERE tenant_id = $1 AND orders_count > 0
"""
# Each customer's repeat purchases, span of repeat buying and age, in whole days; equal rows counted
# once with their number, so a million customers arrive as far fewer rows.
_HISTORIES = """
SELECT orders_count - 1 AS x,
       -- an order dated after now (a store's clock ahead of ours) counts as now
       CASE WHEN orders_count > 1 THEN round(extract(epoch FROM LEAST(last_order_at, $2::timestamptz)
           - first_order_at) / 86400) ELSE 0 END AS t_x,
       round(extract(epoch FROM $2::timestamptz - first_order_at) / 86400) AS age,
       count(*) AS customers
FROM customers
WHERE tenant_id = $1 AND orders_count > 0 AND first_order_at <= $2::timestamptz
GROUP BY 1, 2, 3
"""


async def load(connection: BaseDBAsyncClient, *, tenant_id: UUID) -> StoreModel:
    """The store's last learnt model, or the defaults before its first refresh."""
    row = await StoreIntelligence.filter(tenant_id=tenant_id).using_db(connection).first()
    if row is None:
        return StoreModel()
    return StoreModel(
        cycle_days=round(row.purchase_cycle_days),
        cycle_learnt=row.cycle_learnt,
        returning_customers=row.returning_customers,
        recency_breaks=list(row.recency_breaks),
        frequency_breaks=list(row.frequency_breaks),
        monetary_breaks=list(row.monetary_breaks),
        parameters=parameters_of(row),
        fitted=row.model_fitted,
        customers=row.model_customers,
    )


def parameters_of(row: StoreIntelligence) -> bgnbd.Parameters:
    """The BG/NBD parameters a store's row holds, or the published ones before its first refresh."""
    if row.model_r and row.model_alpha and row.model_a and row.model_b:
        return bgnbd.Parameters(row.model_r, row.model_alpha, row.model_a, row.model_b)
    return bgnbd.PRIORS


async def learn(connection: BaseDBAsyncClient, *, tenant_id: UUID, now: datetime) -> StoreModel:
    """Recompute the store's cycle, quintiles and purchase model from its customers, and keep them."""
    [cycle_row] = await connection.execute_query_dict(_CYCLE, [tenant_id])
    returning = int(cycle_row["returning"])
    cycle, learnt = DEFAULT_CYCLE_DAYS, False
    if returning >= MIN_RETURNING and cycle_row["cycle"] is not None:
        low, high = CYCLE_BOUNDS
        cycle, learnt = min(high, max(low, round(float(cycle_row["cycle"])))), True
    [quintiles] = await connection.execute_query_dict(_QUINTILES, [tenant_id, now])
    histories = await connection.execute_query_dict(_HISTORIES, [tenant_id, now])
    parameters, fitted, customers = _fit(histories)
    model = StoreModel(
        cycle_days=cycle,
        cycle_learnt=learnt,
        returning_customers=returning,
        recency_breaks=[float(value) for value in quintiles["recency"] or []],
        frequency_breaks=[float(value) for value in quintiles["frequency"] or []],
        monetary_breaks=[float(value) for value in quintiles["monetary"] or []],
        parameters=parameters,
        fitted=fitted,
        customers=customers,
    )
    await _save(connection, tenant_id=tenant_id, model=model, now=now)
    return model


def _fit(histories: list[dict[str, object]]) -> tuple[bgnbd.Parameters, bool, int]:
    """The store's own BG/NBD parameters when it has enough histories, else the published ones."""
    if not histories:
        return bgnbd.PRIORS, False, 0
    x = np.array([row["x"] for row in histories], dtype=float)
    t_x = np.array([row["t_x"] for row in histories], dtype=float)
    age = np.array([row["age"] for row in histories], dtype=float)
    weights = np.array([row["customers"] for row in histories], dtype=float)
    customers = int(weights.sum())
    if not bgnbd.enough_data(x, weights):
        return bgnbd.PRIORS, False, customers
    result = bgnbd.fit(x, t_x, age, weights)
    if not result.converged:
        return bgnbd.PRIORS, False, customers
    return result.parameters, True, customers


async def _save(connection: BaseDBAsyncClient, *, tenant_id: UUID, model: StoreModel, now: datetime) -> None:
    values = {
        "purchase_cycle_days": float(model.cycle_days),
        "cycle_learnt": model.cycle_learnt,
        "returning_customers": model.returning_customers,
        "recency_breaks": model.recency_breaks,
        "frequency_breaks": model.frequency_breaks,
        "monetary_breaks": model.monetary_breaks,
        "model_r": model.parameters.r,
        "model_alpha": model.parameters.alpha,
        "model_a": model.parameters.a,
        "model_b": model.parameters.b,
        "model_fitted": model.fitted,
        "model_customers": model.customers,
        "refreshed_at": now,
    }
    updated = await StoreIntelligence.filter(tenant_id=tenant_id).using_db(connection).update(**values)
    if not updated:
        await StoreIntelligence.create(tenant_id=tenant_id, using_db=connection, **values)
