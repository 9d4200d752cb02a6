"""What a branch asks and a goal waits for, answered for one run at one moment.

- ``ordered_since_enrolment``: an order of the customer placed since the run began, in a buying status
  (processing, completed, on hold — not cancelled, failed or fully refunded), other than the order
  that enrolled them;
- ``redeemed_coupon``: the coupon this run issued (or, in a coupon-expiring journey, the expiring one)
  has a live redemption;
- ``in_segment``: an open stay in the segment;
- ``matches``: the segment condition tree, by the segments' own compiler.

A win-back run (``days_since_last_order``) also exits as soon as the customer orders again: its lapse
is over, whatever the journey's goals say (:func:`lapse_over`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from tortoise import Tortoise

from domain.automation.definition import (
    AnyCheck,
    InSegmentCheck,
    MatchesCheck,
    OrderedSinceEnrolment,
    RedeemedCoupon,
)
from domain.automation.enrolment import matching_customers
from domain.coupons import redemption
from domain.customers.service import PURCHASE_STATUSES

_ORDERED_SINCE = """
SELECT EXISTS (SELECT 1 FROM orders WHERE tenant_id = $1 AND customer_id = $2 AND placed_at >= $3
    AND status = ANY($4::text[]) AND refunded_total < GREATEST(total, 1) AND id IS DISTINCT FROM $5)
    AS ordered
"""
_IN_SEGMENT = """
SELECT EXISTS (SELECT 1 FROM segment_memberships WHERE tenant_id = $1 AND segment_id = $2
    AND customer_id = $3 AND left_at IS NULL) AS member
"""


async def holds(
    check: AnyCheck,
    *,
    tenant_id: UUID,
    customer_id: UUID,
    context: dict[str, Any],
    order_id: UUID | None,
    now: datetime,
) -> bool:
    """Whether ``check`` holds for the run (``context`` is the run's) at ``now``."""
    connection = Tortoise.get_connection("default")
    if isinstance(check, OrderedSinceEnrolment):
        since = datetime.fromisoformat(context["enrolled_at"])
        [row] = await connection.execute_query_dict(
            _ORDERED_SINCE, [tenant_id, customer_id, since, list(PURCHASE_STATUSES), order_id]
        )
        return bool(row["ordered"])
    if isinstance(check, RedeemedCoupon):
        coupon_id = context.get("coupon_id") or (context.get("facts") or {}).get("coupon_id")
        if not coupon_id:
            return False
        return bool(await redemption.redeemed(tenant_id=tenant_id, coupon_ids=[UUID(coupon_id)]))
    if isinstance(check, InSegmentCheck):
        [row] = await connection.execute_query_dict(_IN_SEGMENT, [tenant_id, check.segment_id, customer_id])
        return bool(row["member"])
    assert isinstance(check, MatchesCheck)
    return customer_id in await matching_customers(connection, tenant_id, check.condition, [customer_id], now)


def lapse_over(context: dict[str, Any], last_order_at: datetime | None) -> bool:
    """For a win-back run: the customer has ordered since the purchase the lapse is counted from."""
    facts = context.get("facts") or {}
    if facts.get("trigger") != "days_since_last_order" or not facts.get("last_order_at"):
        return False
    return last_order_at is not None and last_order_at > datetime.fromisoformat(facts["last_order_at"])
