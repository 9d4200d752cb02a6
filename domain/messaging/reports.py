"""Delivery reports: what became of each SMS after the provider took it.

A sent message waits for its report (``delivery_status`` null) for at most :data:`REPORT_WINDOW`. Reports
arrive two ways, and both end in :func:`record`, one set-based UPDATE:

- polled (:func:`poll`): per route — the platform's line, or one store's own account — the waiting
  messages not asked about for :data:`ASK_EVERY`, oldest first, at most :data:`POLL_BATCH` a pass;
- posted by the provider to its callback (``graph/rest/sms_callbacks.py``).

The final words are ``delivered``, ``failed`` (never left the provider or the operator) and
``undeliverable`` (the operator tried and the phone did not take it). A report never changes a message's
``status`` (``sent`` means the provider took it); it fills ``delivery_status`` and ``delivery_status_at``.
A later report replaces an earlier one only to say ``delivered`` (operators do send a late success).

A report is matched by the provider's message id within its route: the store account (or the platform's
line, ``sms_account_id`` null) and the provider's name, so two accounts' equal ids never mix.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final
from uuid import UUID

from tortoise import Tortoise

from domain.messaging.providers import DeliveryReport, SmsProvider

REPORT_WINDOW: Final = timedelta(hours=48)
"""How long after sending a message's report is still asked for."""
ASK_EVERY: Final = timedelta(minutes=5)
POLL_BATCH: Final = 5000
DELIVERY_STATUSES: Final = ("delivered", "failed", "undeliverable")

_ROUTES = """
SELECT DISTINCT coalesce(sms_account_id::text, 'platform') AS scope
FROM outbound_messages
WHERE status = 'sent' AND delivery_status IS NULL AND sent_at > $1 AND provider_message_id IS NOT NULL
"""

_TAKE = """
UPDATE outbound_messages m SET delivery_checked_at = $1
FROM (
    SELECT tenant_id, id FROM outbound_messages
    WHERE status = 'sent' AND delivery_status IS NULL AND sent_at > $2 AND provider = $3
      AND provider_message_id IS NOT NULL
      AND sms_account_id IS NOT DISTINCT FROM $4::uuid AND ($5::uuid IS NULL OR tenant_id = $5::uuid)
      AND (delivery_checked_at IS NULL OR delivery_checked_at <= $6)
    ORDER BY sent_at
    LIMIT $7
    FOR UPDATE SKIP LOCKED
) due
WHERE m.tenant_id = due.tenant_id AND m.id = due.id
RETURNING m.provider_message_id
"""

_RECORD = """
UPDATE outbound_messages m
SET delivery_status = r.status, delivery_status_at = r.at, updated_at = now()
FROM unnest($1::text[], $2::text[], $3::timestamptz[]) AS r(provider_message_id, status, at)
WHERE m.provider = $4 AND m.provider_message_id = r.provider_message_id
  AND m.sms_account_id IS NOT DISTINCT FROM $5::uuid AND ($6::uuid IS NULL OR m.tenant_id = $6::uuid)
  AND m.status = 'sent'
  AND (m.delivery_status IS NULL OR (r.status = 'delivered' AND m.delivery_status <> 'delivered'))
RETURNING m.id
"""

_COUNTS = """
SELECT
    count(*) FILTER (WHERE status = 'sent') AS sent,
    count(*) FILTER (WHERE delivery_status = 'delivered') AS delivered,
    count(*) FILTER (WHERE delivery_status = 'failed') AS failed,
    count(*) FILTER (WHERE delivery_status = 'undeliverable') AS undeliverable,
    count(*) FILTER (WHERE status = 'sent' AND delivery_status IS NULL) AS awaiting_report,
    count(*) FILTER (WHERE status = 'queued' AND outcome_unknown_at IS NOT NULL) AS outcome_unknown
FROM outbound_messages
WHERE tenant_id = $1 AND created_at >= $2 AND created_at < $3
"""


async def routes_awaiting_reports(*, now: datetime) -> list[str]:
    """The routes (``platform`` or a store account's id) with sent messages still waiting for a report."""
    rows = await Tortoise.get_connection("default").execute_query_dict(_ROUTES, [now - REPORT_WINDOW])
    return sorted(row["scope"] for row in rows)


async def poll(
    *, provider: SmsProvider, account_id: UUID | None, tenant_id: UUID | None, now: datetime
) -> int:
    """Ask ``provider`` about the route's waiting messages and record the final reports; how many.

    The messages asked about are marked first (``delivery_checked_at``), so two pollers never ask about
    the same ones and a provider that is down is not asked again before :data:`ASK_EVERY`.
    """
    connection = Tortoise.get_connection("default")
    rows = await connection.execute_query_dict(
        _TAKE,
        [now, now - REPORT_WINDOW, provider.name, account_id, tenant_id, now - ASK_EVERY, POLL_BATCH],
    )
    ids = [row["provider_message_id"] for row in rows]
    if not ids:
        return 0
    found = await provider.delivery_reports(ids)
    return await record(found, provider=provider.name, account_id=account_id, tenant_id=tenant_id)


async def record(
    reports: Sequence[DeliveryReport], *, provider: str, account_id: UUID | None, tenant_id: UUID | None
) -> int:
    """Write final reports onto the route's messages; how many messages changed. Repeats change nothing."""
    if not reports:
        return 0
    rows = await Tortoise.get_connection("default").execute_query_dict(
        _RECORD,
        [
            [report.provider_message_id for report in reports],
            [report.status for report in reports],
            [report.at for report in reports],
            provider,
            account_id,
            tenant_id,
        ],
    )
    return len(rows)


@dataclass(frozen=True)
class DeliveryCounts:
    """A store's messages created in a period, by what became of them."""

    sent: int
    delivered: int
    failed: int
    undeliverable: int
    awaiting_report: int
    outcome_unknown: int


async def delivery_counts(*, tenant_id: UUID, start: datetime, end: datetime) -> DeliveryCounts:
    """How the store's messages created in [start, end) fared, in one scan of the store's messages."""
    rows = await Tortoise.get_connection("default").execute_query_dict(_COUNTS, [tenant_id, start, end])
    return DeliveryCounts(**{key: int(value) for key, value in rows[0].items()})
