"""A campaign's counters as they stand: its snapshot, its messages by status, its cost.

One statement reads them all: the snapshot's counts kept on the campaign row at launch, the messages
counted over the ``(tenant_id, campaign_id, status)`` index, and what the wallet charged for them
(the charges keyed ``sms:<message_id>`` by :mod:`domain.billing.charging`). Live subscriptions re-read
it on every notice, so it stays one indexed pass over the campaign's messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final
from uuid import UUID

from tortoise import connections

from domain.errors import NotFound


@dataclass(frozen=True)
class CampaignProgress:
    """Where a campaign stands. ``recipients`` got a message queued at launch, ``excluded`` were left
    out (with a reason), ``control`` were held out on purpose. Of the messages: ``queued`` wait to go,
    ``sent`` went to the provider (``delivered`` of them reported delivered), ``failed`` did not go or
    were not delivered, ``suppressed`` were withheld by the sending policy (an opt-out since launch, a
    cap) and ``cancelled`` were withdrawn with the campaign. Money in IRR: ``cost_reserved`` set aside
    at launch, ``cost_charged`` charged so far (refunds deducted)."""

    status: str
    pause_reason: str | None
    recipients: int
    excluded: int
    control: int
    queued: int
    sent: int
    delivered: int
    failed: int
    suppressed: int
    cost_reserved: int
    cost_charged: int
    cancelled: int = 0


_PROGRESS: Final = """
SELECT c.status, c.pause_reason, c.recipients_count, c.excluded_count, c.control_count, c.cost_reserved,
       m.queued, m.sent, m.delivered, m.failed, m.suppressed, m.cancelled, m.charged
FROM campaigns AS c
CROSS JOIN LATERAL (
  SELECT count(*) FILTER (WHERE o.status = 'queued') AS queued,
         count(*) FILTER (WHERE o.status = 'sent') AS sent,
         count(*) FILTER (WHERE o.status = 'sent' AND o.delivery_status = 'delivered') AS delivered,
         count(*) FILTER (WHERE o.status IN ('failed', 'undeliverable')
                          OR (o.status = 'sent' AND o.delivery_status IN ('failed', 'undeliverable')))
             AS failed,
         count(*) FILTER (WHERE o.status IN ('suppressed', 'skipped')) AS suppressed,
         count(*) FILTER (WHERE o.status = 'cancelled') AS cancelled,
         coalesce(sum(w.net) FILTER (WHERE o.status NOT IN ('queued', 'suppressed', 'skipped', 'cancelled')),
                  0) AS charged
  FROM outbound_messages AS o
  LEFT JOIN LATERAL (
    SELECT sum(-e.balance_delta) AS net FROM wallet_entries AS e
    WHERE e.tenant_id = o.tenant_id
      AND e.idempotency_key IN ('sms:' || o.id::text, 'refund:sms:' || o.id::text)
  ) AS w ON o.status <> 'queued'
  WHERE o.tenant_id = c.tenant_id AND o.campaign_id = c.id
) AS m
WHERE c.tenant_id = $1 AND c.id = $2
"""


async def campaign_progress(*, tenant_id: UUID, campaign_id: UUID) -> CampaignProgress:
    """The campaign's counters now; ``NOT_FOUND`` for an unknown id or another store's campaign."""
    rows = await connections.get("default").execute_query_dict(_PROGRESS, [tenant_id, campaign_id])
    if not rows:
        raise NotFound("Campaign")
    row = rows[0]
    return CampaignProgress(
        status=row["status"],
        pause_reason=row["pause_reason"],
        recipients=row["recipients_count"],
        excluded=row["excluded_count"],
        control=row["control_count"],
        queued=row["queued"],
        sent=row["sent"],
        delivered=row["delivered"],
        failed=row["failed"],
        suppressed=row["suppressed"],
        cost_reserved=row["cost_reserved"],
        cost_charged=max(int(row["charged"]), 0),
        cancelled=row["cancelled"],
    )
