"""A campaign's recipients, a page at a time in launch order, with their messages' status and delivery."""

from __future__ import annotations

from typing import Any, Final
from uuid import UUID

from tortoise import connections

from domain.errors import DomainError
from graph.core.pagination import page_size

MAX_CURSOR_DIGITS: Final = 18

_RECIPIENTS: Final = """
SELECT r.id, r.customer_id, r.phone, r.status, r.reason, r.message_id, r.credit_amount,
       m.status AS message_status, m.delivery_status, m.delivery_status_at, cp.code AS coupon_code
FROM campaign_recipients AS r
LEFT JOIN outbound_messages AS m ON m.tenant_id = r.tenant_id AND m.id = r.message_id
LEFT JOIN coupons AS cp ON cp.tenant_id = r.tenant_id
  AND cp.origin_key = 'campaign:' || r.campaign_id::text || ':' || r.customer_id::text
WHERE r.tenant_id = $1 AND r.campaign_id = $2 AND r.id > $3
  AND ($4::text IS NULL OR r.status = $4::text)
  AND ($5::text IS NULL OR m.status = $5::text)
ORDER BY r.id
LIMIT $6
"""
"""Keyset pages over the (tenant_id, id) primary key: a page costs its own rows, however deep."""


def _cursor(after: str | None) -> int:
    if after is None:
        return 0
    if not after.isdigit() or len(after) > MAX_CURSOR_DIGITS:
        raise DomainError("INVALID_CURSOR", "That cursor is not one this API gave out.", field="after")
    return int(after)


async def recipient_rows(
    *,
    tenant_id: UUID,
    campaign_id: UUID,
    status: str | None,
    message_status: str | None,
    first: int | None,
    after: str | None,
    cap: int,
) -> tuple[list[dict[str, Any]], bool]:
    """One page of rows after the cursor ``after`` (a recipient id), and whether more follow."""
    if message_status is not None and (len(message_status) > 16 or not message_status.isalpha()):
        raise DomainError("INVALID", "A message status is a word such as sent.", field="messageStatus")
    size = page_size(first, cap=cap)
    rows = await connections.get("default").execute_query_dict(
        _RECIPIENTS, [tenant_id, campaign_id, _cursor(after), status, message_status, size + 1]
    )
    return rows[:size], len(rows) > size
