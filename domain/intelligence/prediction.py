"""A customer's chance of still being active and the expected date of their next order, at any moment.

Both follow from three figures kept in the customer's row (orders count, first and last order) and
the store's fitted BG/NBD parameters (:mod:`domain.intelligence.store`), so they are computed when
read — in Python for the API and exports, in SQL for segment conditions — and never go stale: no
nightly rewrite of every customer is needed to age them.

With x = orders − 1 repeat purchases, t_x the days from the first to the last order and T the days
from the first order to now:

- P(active) = 1 / (1 + δ(x > 0) · a / (b + x − 1) · ((α + T) / (α + t_x))^(r + x)) (Fader, Hardie & Lee
  2005, eq. 11);
- the next order, if still active, is as likely as not to have come after
  (α + T) · (2^(1/(r + x)) − 1) days: the median of the waiting time when the purchase rate has the
  posterior Gamma(r + x, α + T). Beyond ten years it is left empty.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final, Protocol

from domain.intelligence import bgnbd

HORIZON_DAYS: Final = 3650
_DAY: Final = 86_400.0


class Placeholders(Protocol):
    """Where a statement holds the moment and the four parameters (``$n::type`` texts)."""

    @property
    def now(self) -> str: ...
    @property
    def r(self) -> str: ...
    @property
    def alpha(self) -> str: ...
    @property
    def a(self) -> str: ...
    @property
    def b(self) -> str: ...


def probability_active(
    parameters: bgnbd.Parameters, *, orders: int, first: datetime | None, last: datetime | None, now: datetime
) -> float | None:
    """The chance a customer with this history still buys (None before their first order)."""
    if orders < 1 or first is None or last is None:
        return None
    age = max((now - first).total_seconds() / _DAY, 0.0)
    span = min(max((last - first).total_seconds() / _DAY, 0.0), age)
    return float(bgnbd.probability_alive(parameters, [orders - 1], [span], [age])[0])


def expected_next_order(
    parameters: bgnbd.Parameters, *, orders: int, first: datetime | None, now: datetime
) -> datetime | None:
    """When the next order is as likely as not to have come, if the customer is still active."""
    if orders < 1 or first is None:
        return None
    age = max((now - first).total_seconds() / _DAY, 0.0)
    wait = (parameters.alpha + age) * (2 ** (1 / (parameters.r + orders - 1)) - 1)
    return now + timedelta(days=wait) if wait <= HORIZON_DAYS else None


def probability_active_sql(at: Placeholders, customer: str = "c") -> str:
    """The same chance as a SQL expression over a ``customers`` row (NULL before the first order)."""
    repeats = f"({customer}.orders_count - 1)"
    age = f"GREATEST(extract(epoch FROM {at.now} - {customer}.first_order_at) / 86400, 0)"
    between = f"extract(epoch FROM {customer}.last_order_at - {customer}.first_order_at) / 86400"
    span = f"LEAST(GREATEST({between}, 0), {age})"
    odds = f"({at.a} / NULLIF({at.b} + {repeats} - 1, 0))"
    exponent = f"LEAST(700, ({at.r} + {repeats}) * ln(({at.alpha} + {age}) / ({at.alpha} + {span})))"
    return (
        f"(CASE WHEN {customer}.orders_count < 1 THEN NULL WHEN {customer}.orders_count = 1 THEN 1.0"
        f" ELSE 1.0 / (1.0 + {odds} * exp({exponent})) END)"
    )


def expected_next_order_sql(at: Placeholders, customer: str = "c") -> str:
    """The same date as a SQL expression (NULL before the first order or beyond ten years)."""
    age = f"GREATEST(extract(epoch FROM {at.now} - {customer}.first_order_at) / 86400, 0)"
    wait = f"(({at.alpha} + {age}) * (power(2, 1 / NULLIF({at.r} + {customer}.orders_count - 1, 0)) - 1))"
    return (
        f"(CASE WHEN {customer}.orders_count >= 1 AND {wait} <= {HORIZON_DAYS}"
        f" THEN {at.now} + make_interval(secs => 86400 * {wait}) END)"
    )
