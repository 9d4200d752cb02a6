"""How a template's codes did: issued, redeemed, the discount they gave and the revenue of their orders.

One statement per report, over the (tenant, template) index of codes and the (tenant, coupon, order)
key of redemptions. Only live redemptions count: an order cancelled or failed after it used a code
gave the use back. Revenue is read from the orders as they are now, so a later refund lowers it.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from tortoise import connections

from domain.coupons.service import get as get_template


@dataclass(frozen=True)
class Usage:
    """A template's figures; amounts in minor units of the store's currency."""

    issued: int
    revoked: int
    redeemed_codes: int
    """Codes used on at least one order."""
    redemptions: int
    """Orders that used one of the codes (an order using two of them counts once)."""
    customers: int
    """Distinct customers among those orders (guests not counted)."""
    discount: int
    revenue: int
    """What the orders that used a code brought in: their totals less what was refunded, each order
    once."""


_USAGE = """
WITH issued AS (
  SELECT count(*) AS issued, count(*) FILTER (WHERE revoked_at IS NOT NULL) AS revoked
  FROM coupons WHERE tenant_id = $1 AND template_id = $2
), live AS (
  SELECT r.coupon_id, r.order_id, r.customer_id, r.discount, r.order_total
  FROM coupon_redemptions AS r
  JOIN coupons AS c ON c.tenant_id = r.tenant_id AND c.id = r.coupon_id
  WHERE r.tenant_id = $1 AND c.template_id = $2 AND r.state = 'redeemed'
), orders AS (
  SELECT o.id, greatest(o.total - o.refunded_total, 0) AS total
  FROM orders AS o
  WHERE o.tenant_id = $1 AND o.id IN (SELECT order_id FROM live)
)
SELECT issued.issued, issued.revoked,
       (SELECT count(DISTINCT coupon_id) FROM live) AS redeemed_codes,
       (SELECT count(*) FROM orders) AS redemptions,
       (SELECT count(DISTINCT customer_id) FROM live) AS customers,
       (SELECT coalesce(sum(discount), 0) FROM live) AS discount,
       (SELECT coalesce(sum(total), 0) FROM orders) AS revenue
FROM issued
"""


async def usage(*, tenant_id: UUID, template_id: UUID) -> Usage:
    """The template's usage report; ``NOT_FOUND`` for a template of another store."""
    await get_template(tenant_id=tenant_id, template_id=template_id)
    [row] = await connections.get("default").execute_query_dict(_USAGE, [tenant_id, template_id])
    return Usage(**{key: int(value) for key, value in row.items()})
