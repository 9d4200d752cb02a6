"""Redemptions: an order that carries a Revisit code uses it once; a cancelled or failed order gives the
use back.

:func:`handle` is one of the processing batch's domain-event handlers (``domain.events.processing``),
inside the batch's transaction, a few statements for the whole batch:

- an order placed (``OrderCreated``, when the pipeline announces it) or completed (``OrderCompleted``)
  whose ``coupon_codes`` name codes of the store records one redemption per (code, order) — a second
  event for the order records nothing more;
- an order cancelled or failed (``OrderReversed``, reason cancelled/failed) returns its redemptions; if
  it comes back (a retried payment completes it), they count again. A refund keeps the redemption: the
  code was used.

What an event decides is read from the order as it is now, so the events of one batch may come in any
order. Each code's ``redemptions_count`` is recounted from its live redemptions, which is what the usage
limits compare with. A redemption is recorded even when the code was not valid for the order (a limit
reached by two checkouts at once): the discount was given, and the usage report says so.

The redemption keeps the order's total (revenue) and the code's share of its discount (the order's
``discount_total`` split evenly among the codes it carries).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Final
from uuid import UUID

from tortoise import connections

from domain.events import domain_events
from domain.events.domain_events import OrderCompleted, OrderReversed

PLACED: Final[tuple[type, ...]] = tuple(
    kind for kind in (getattr(domain_events, "OrderCreated", None), OrderCompleted) if kind is not None
)
"""Events after which an order's codes count as used."""
RETURNING_REASONS: Final = frozenset({"cancelled", "failed"})
_GONE: Final = ["cancelled", "failed"]
"""Order statuses in which a redemption is given back."""

_DIGITS = "۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩"
_ASCII = "0123456789" * 2

_RETURN = """
UPDATE coupon_redemptions AS r SET state = 'returned', returned_at = $3
FROM orders AS o
WHERE r.tenant_id = $1 AND r.order_id = ANY($2::uuid[]) AND r.state = 'redeemed'
  AND o.tenant_id = $1 AND o.id = r.order_id AND o.status = ANY($4::text[])
RETURNING r.coupon_id
"""
_REDEEM = f"""
WITH placed AS (
  SELECT o.id, o.customer_id, o.total, o.discount_total, o.coupon_codes,
         jsonb_array_length(o.coupon_codes) AS codes
  FROM orders AS o
  WHERE o.tenant_id = $1 AND o.id = ANY($2::uuid[]) AND NOT (o.status = ANY($4::text[]))
    AND jsonb_typeof(o.coupon_codes) = 'array' AND jsonb_array_length(o.coupon_codes) > 0
), used AS (
  SELECT DISTINCT ON (p.id, c.id) p.id AS order_id, c.id AS coupon_id, p.customer_id, p.total,
         p.discount_total / p.codes AS discount
  FROM placed AS p
  CROSS JOIN LATERAL jsonb_array_elements(p.coupon_codes) AS item(value)
  JOIN coupons AS c
    ON c.tenant_id = $1
   AND c.code = upper(btrim(translate(item.value #>> '{{}}', '{_DIGITS}', '{_ASCII}')))
  WHERE jsonb_typeof(item.value) = 'string'
)
INSERT INTO coupon_redemptions AS r
  (id, tenant_id, coupon_id, order_id, customer_id, state, discount, order_total, redeemed_at)
SELECT gen_random_uuid(), $1, u.coupon_id, u.order_id, u.customer_id, 'redeemed', u.discount, u.total, $3
FROM used AS u
ON CONFLICT (tenant_id, coupon_id, order_id) DO UPDATE
  SET state = 'redeemed', returned_at = NULL, customer_id = EXCLUDED.customer_id,
      discount = EXCLUDED.discount, order_total = EXCLUDED.order_total
  WHERE r.state = 'returned'
RETURNING r.coupon_id
"""
_RECOUNT = """
UPDATE coupons AS c SET redemptions_count = live.count
FROM (
  SELECT touched.id, count(r.id) AS count
  FROM unnest($2::uuid[]) AS touched(id)
  LEFT JOIN coupon_redemptions AS r
    ON r.tenant_id = $1 AND r.coupon_id = touched.id AND r.state = 'redeemed'
  GROUP BY touched.id
) AS live
WHERE c.tenant_id = $1 AND c.id = live.id AND c.redemptions_count <> live.count
"""


async def handle(events: Sequence[Any], *, now: datetime | None = None) -> list[Any]:
    """Record and return the batch's redemptions (see the module). Enrols nothing: returns []."""
    moment = now or datetime.now(UTC)
    placed: dict[UUID, set[UUID]] = defaultdict(set)
    gone: dict[UUID, set[UUID]] = defaultdict(set)
    for event in events:
        if isinstance(event, PLACED):
            placed[event.tenant_id].add(event.order_id)  # type: ignore[attr-defined]
        elif isinstance(event, OrderReversed) and event.reason in RETURNING_REASONS:
            gone[event.tenant_id].add(event.order_id)
    for tenant_id in placed.keys() | gone.keys():
        await apply(tenant_id=tenant_id, placed=placed[tenant_id], reversed_=gone[tenant_id], now=moment)
    return []


async def apply(
    *,
    tenant_id: UUID,
    placed: Sequence[UUID] | set[UUID],
    reversed_: Sequence[UUID] | set[UUID],
    now: datetime,
) -> set[UUID]:
    """Return the redemptions of the orders now cancelled or failed, record those of the orders placed
    (unless they are cancelled or failed by now), recount the codes touched; returns their ids."""
    connection = connections.get("default")
    touched: set[UUID] = set()
    orders = sorted(set(placed) | set(reversed_))
    if not orders:
        return touched
    for row in await connection.execute_query_dict(_RETURN, [tenant_id, orders, now, _GONE]):
        touched.add(row["coupon_id"])
    if placed:
        for row in await connection.execute_query_dict(_REDEEM, [tenant_id, sorted(placed), now, _GONE]):
            touched.add(row["coupon_id"])
    if touched:
        await connection.execute_query(_RECOUNT, [tenant_id, sorted(touched)])
    return touched


async def redeemed(*, tenant_id: UUID, coupon_ids: Sequence[UUID]) -> set[UUID]:
    """Which of these coupons have a live (not returned) redemption."""
    if not coupon_ids:
        return set()
    rows = await connections.get("default").execute_query_dict(
        "SELECT DISTINCT coupon_id FROM coupon_redemptions"
        " WHERE tenant_id = $1 AND coupon_id = ANY($2::uuid[]) AND state = 'redeemed'",
        [tenant_id, list(coupon_ids)],
    )
    return {row["coupon_id"] for row in rows}
