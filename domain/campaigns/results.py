"""What a campaign achieved: its messages, the opt-outs after it, its incentives used, the revenue
attributed to it, and the lift over its control group.

Attribution (documented for owners in docs/campaigns.md):

- An order is **attributed** to this campaign when it was placed after the launch (not cancelled or
  failed) by a treated recipient and either used this campaign's coupon, or used no campaign's coupon
  and this campaign's message is the *last touch*: of all the store's campaign messages delivered to
  that customer before the order, within each one's attribution window, the latest. Each order is thus
  attributed to at most one campaign. Revenue is net of refunds (total − refunded). Journeys count
  their own goals on their own runs; an order may be a journey's goal and a campaign's attribution.
- The **lift** compares like with like: every treated recipient and every control customer, their
  orders in the same window (launch to launch + the attribution window), whatever the attribution:
  the conversion rate (share with an order) and the revenue per recipient, treated minus control.

Every figure is one set-based statement over the campaign's recipients, fit for 100,000 of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final
from uuid import UUID

from tortoise import connections

from domain.campaigns.models import Campaign
from domain.campaigns.progress import campaign_progress
from domain.campaigns.service import get
from domain.incentives.ledger import CHECKOUT_KINDS

UNCONVERTED_STATUSES: Final = ("cancelled", "failed")
"""Orders in these states are no conversion and no revenue."""


@dataclass(frozen=True)
class GroupResults:
    """A group's orders in the campaign's window: ``converted`` customers had at least one."""

    customers: int
    converted: int
    orders: int
    revenue: int

    @property
    def conversion_rate(self) -> float:
        return self.converted / self.customers if self.customers else 0.0

    @property
    def revenue_per_customer(self) -> int:
        return self.revenue // self.customers if self.customers else 0


@dataclass(frozen=True)
class CampaignResults:
    """A campaign's outcome so far (money in minor units of the store's currency)."""

    sent: int
    delivered: int
    failed: int
    opted_out_after: int
    coupons_redeemed: int
    credit_spent: int
    attributed_orders: int
    attributed_revenue: int
    treated: GroupResults
    control: GroupResults
    window_ends_at: datetime | None

    @property
    def conversion_lift(self) -> float | None:
        """Treated minus control conversion rate (0.02: two points more); None without a control group."""
        if not self.control.customers:
            return None
        return self.treated.conversion_rate - self.control.conversion_rate

    @property
    def revenue_per_customer_lift(self) -> int | None:
        if not self.control.customers:
            return None
        return self.treated.revenue_per_customer - self.control.revenue_per_customer


_OPTED_OUT_AFTER: Final = """
SELECT count(*) AS n FROM campaign_recipients AS r
WHERE r.tenant_id = $1 AND r.campaign_id = $2 AND r.status = 'treated'
  AND (EXISTS (SELECT 1 FROM sms_suppressions AS s
               WHERE s.tenant_id = $1 AND s.phone = r.phone AND s.suppressed_at >= $3)
       OR EXISTS (SELECT 1 FROM customers AS c
                  WHERE c.tenant_id = $1 AND c.id = r.customer_id AND NOT c.marketing_consent
                    AND c.consent_changed_at >= $3))
"""
_COUPONS_REDEEMED: Final = """
SELECT count(*) AS n FROM coupons AS cp
JOIN coupon_redemptions AS cr ON cr.tenant_id = cp.tenant_id AND cr.coupon_id = cp.id
WHERE cp.tenant_id = $1 AND cp.template_id = $3 AND cp.issued_at >= $4
  AND cp.origin_key LIKE 'campaign:' || $2::uuid::text || ':%' AND cr.state = 'redeemed'
"""
"""The campaign's codes, found through the template's (tenant_id, template_id, issued_at) index."""
_CREDIT_SPENT: Final = """
SELECT coalesce(sum(least(r.credit_amount, greatest(0, -coalesce(s.net, 0)))), 0) AS n
FROM campaign_recipients AS r
LEFT JOIN LATERAL (
  SELECT sum(e.amount) AS net FROM credit_entries AS e
  WHERE e.tenant_id = $1 AND e.customer_id = r.customer_id AND e.kind = ANY($4::text[]) AND e.created_at >= $3
) AS s ON true
WHERE r.tenant_id = $1 AND r.campaign_id = $2 AND r.credit_amount > 0
"""
_GROUPS: Final = """
SELECT r.status, count(DISTINCT r.customer_id) AS customers, count(DISTINCT o.customer_id) AS converted,
       count(o.id) AS orders, coalesce(sum(o.total - o.refunded_total), 0) AS revenue
FROM campaign_recipients AS r
LEFT JOIN orders AS o ON o.tenant_id = r.tenant_id AND o.customer_id = r.customer_id
  AND o.placed_at >= $3 AND o.placed_at < $4 AND o.status <> ALL($5::text[])
WHERE r.tenant_id = $1 AND r.campaign_id = $2 AND r.status IN ('treated', 'control')
GROUP BY r.status
"""
_ATTRIBUTED: Final = """
WITH candidate AS (
  SELECT o.id, o.customer_id, o.placed_at, o.total - o.refunded_total AS net
  FROM campaign_recipients AS r
  JOIN orders AS o ON o.tenant_id = r.tenant_id AND o.customer_id = r.customer_id
  WHERE r.tenant_id = $1 AND r.campaign_id = $2 AND r.status = 'treated'
    AND o.placed_at >= $3 AND o.status <> ALL($4::text[])
),
by_coupon AS (
  SELECT DISTINCT ON (cr.order_id) cr.order_id, split_part(cp.origin_key, ':', 2) AS campaign_id
  FROM coupon_redemptions AS cr
  JOIN coupons AS cp ON cp.tenant_id = cr.tenant_id AND cp.id = cr.coupon_id
  WHERE cr.tenant_id = $1 AND cr.state = 'redeemed' AND cp.origin_key LIKE 'campaign:%'
    AND cr.order_id IN (SELECT id FROM candidate)
  ORDER BY cr.order_id, cr.redeemed_at DESC
),
by_touch AS (
  SELECT c.id,
         (SELECT m.campaign_id::text FROM outbound_messages AS m
          JOIN campaigns AS k ON k.tenant_id = m.tenant_id AND k.id = m.campaign_id
          WHERE m.tenant_id = $1 AND m.customer_id = c.customer_id AND m.campaign_id IS NOT NULL
            AND m.delivery_status = 'delivered' AND m.delivery_status_at <= c.placed_at
            AND m.delivery_status_at > c.placed_at - k.attribution_days * interval '1 day'
          ORDER BY m.delivery_status_at DESC, m.id DESC LIMIT 1) AS campaign_id
  FROM candidate AS c
)
SELECT count(*) AS orders, coalesce(sum(c.net), 0) AS revenue
FROM candidate AS c
JOIN by_touch AS t ON t.id = c.id
LEFT JOIN by_coupon AS b ON b.order_id = c.id
WHERE coalesce(b.campaign_id, t.campaign_id) = $2::text
"""


async def campaign_results(*, tenant_id: UUID, campaign_id: UUID) -> CampaignResults:
    """The campaign's results now; ``NOT_FOUND`` for another store's id. Before launch every figure
    is zero."""
    campaign = await get(tenant_id=tenant_id, campaign_id=campaign_id)
    empty = GroupResults(0, 0, 0, 0)
    if campaign.launched_at is None:
        return CampaignResults(0, 0, 0, 0, 0, 0, 0, 0, empty, empty, None)
    progress = await campaign_progress(tenant_id=tenant_id, campaign_id=campaign_id)
    ends = _window_end(campaign)
    connection = connections.get("default")
    at = campaign.launched_at
    opted = await connection.execute_query_dict(_OPTED_OUT_AFTER, [tenant_id, campaign_id, at])
    redeemed = (
        await connection.execute_query_dict(
            _COUPONS_REDEEMED, [tenant_id, campaign_id, campaign.coupon_template_id, at]
        )
        if campaign.coupon_template_id is not None
        else [{"n": 0}]
    )
    spent = await connection.execute_query_dict(
        _CREDIT_SPENT, [tenant_id, campaign_id, at, sorted(CHECKOUT_KINDS)]
    )
    groups = {
        row["status"]: GroupResults(row["customers"], row["converted"], row["orders"], int(row["revenue"]))
        for row in await connection.execute_query_dict(
            _GROUPS, [tenant_id, campaign_id, at, ends, list(UNCONVERTED_STATUSES)]
        )
    }
    [attributed] = await connection.execute_query_dict(
        _ATTRIBUTED, [tenant_id, campaign_id, at, list(UNCONVERTED_STATUSES)]
    )
    return CampaignResults(
        sent=progress.sent,
        delivered=progress.delivered,
        failed=progress.failed,
        opted_out_after=opted[0]["n"],
        coupons_redeemed=redeemed[0]["n"],
        credit_spent=int(spent[0]["n"]),
        attributed_orders=attributed["orders"],
        attributed_revenue=int(attributed["revenue"]),
        treated=groups.get("treated", empty),
        control=groups.get("control", empty),
        window_ends_at=ends,
    )


def _window_end(campaign: Campaign) -> datetime:
    assert campaign.launched_at is not None
    return campaign.launched_at + timedelta(days=campaign.attribution_days)
