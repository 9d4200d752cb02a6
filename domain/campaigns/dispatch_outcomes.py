"""Writing down what became of a chunk, set-based, each statement matching the claim's token.

Every write matches ``claimed_until`` to the chunk's token and releases it, so it touches only the
messages of that claim and only once (a dispatch that lost its lease and wrote late finds them settled by
its successor and changes nothing). A message cancelled while its chunk was with the provider is recorded
as what happened to it: ``sent`` when the provider took it (it went, and stays charged); otherwise it stays
``cancelled`` and its charge is refunded. A message refused for good is ``failed`` and refunded; one to try
again waits (``send_after``) with a back-off and gives up after :data:`MAX_ATTEMPTS` answered attempts
(failed, refunded); one whose outcome is unknown waits to be looked up, and is never failed for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Final
from uuid import UUID

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from domain.billing import charging
from domain.messaging.delivery import MAX_ATTEMPTS

FIRST_RETRY: Final = timedelta(seconds=30)
LONGEST_RETRY: Final = timedelta(hours=1)

_SENT: Final = """
UPDATE outbound_messages m
SET status = 'sent', provider = $3, provider_message_id = t.provider_id, failure_reason = NULL, sent_at = $4,
    claimed_until = NULL, sms_account_id = $5,
    delivery_status = CASE WHEN t.state = 'delivered' THEN 'delivered' END,
    delivery_status_at = CASE WHEN t.state = 'delivered' THEN $4::timestamptz END, updated_at = now()
FROM unnest($6::uuid[], $7::text[], $8::text[]) AS t(id, provider_id, state)
WHERE m.tenant_id = $1 AND m.id = t.id AND m.claimed_until = $2 AND m.status IN ('queued', 'cancelled')
RETURNING m.id
"""

_FAILED: Final = """
UPDATE outbound_messages m
SET status = CASE WHEN m.status = 'queued' THEN 'failed' ELSE m.status END,
    failure_reason = CASE WHEN m.status = 'queued' THEN f.reason ELSE m.failure_reason END,
    claimed_until = NULL, updated_at = now()
FROM unnest($3::uuid[], $4::text[]) AS f(id, reason)
WHERE m.tenant_id = $1 AND m.id = f.id AND m.claimed_until = $2 AND m.status IN ('queued', 'cancelled')
RETURNING m.id
"""

_RETRY: Final = """
UPDATE outbound_messages m
SET status = CASE WHEN m.status = 'queued' AND m.attempts >= $5 THEN 'failed' ELSE m.status END,
    failure_reason = CASE WHEN m.attempts >= $5 THEN 'Gave up after ' || m.attempts || ' attempts: ' || $4
                          ELSE $4 END,
    outcome_unknown_at = NULL, claimed_until = NULL,
    send_after = $6::timestamptz + LEAST($7::interval * power(2, GREATEST(m.attempts - 1, 0)), $8::interval),
    updated_at = now()
WHERE m.tenant_id = $1 AND m.id = ANY($3::uuid[]) AND m.claimed_until = $2
  AND m.status IN ('queued', 'cancelled')
RETURNING m.id, m.status
"""

_UNKNOWN: Final = """
UPDATE outbound_messages m
SET outcome_unknown_at = COALESCE(m.outcome_unknown_at, $4), failure_reason = $5, claimed_until = NULL,
    send_after = GREATEST($6::timestamptz, COALESCE(m.outcome_unknown_at, $4) + $7::interval),
    updated_at = now()
WHERE m.tenant_id = $1 AND m.id = ANY($3::uuid[]) AND m.claimed_until = $2
  AND m.status IN ('queued', 'cancelled')
RETURNING m.id
"""


async def record_sent(
    *,
    tenant_id: UUID,
    token: datetime,
    provider: str,
    account_id: UUID | None,
    taken: Sequence[tuple[UUID, str, str]],
    now: datetime,
) -> int:
    """``(message id, provider's id, state)`` taken by the provider: ``sent``. How many were recorded."""
    if not taken:
        return 0
    async with in_transaction() as connection:
        # Lost in a database crash, the claim stays and the next dispatch looks the chunk up: no need to
        # wait for this commit to reach the disk.
        await connection.execute_query("SET LOCAL synchronous_commit = off")
        rows = await connection.execute_query_dict(
            _SENT,
            [
                tenant_id,
                token,
                provider,
                now,
                account_id,
                [message_id for message_id, _, _ in taken],
                [provider_id for _, provider_id, _ in taken],
                [state for _, _, state in taken],
            ],
        )
    return len(rows)


async def record_failed(*, tenant_id: UUID, token: datetime, failed: Sequence[tuple[UUID, str]]) -> int:
    """``(message id, reason)`` refused for good: ``failed`` and refunded. How many were recorded."""
    if not failed:
        return 0
    async with in_transaction() as connection:
        rows = await connection.execute_query_dict(
            _FAILED,
            [tenant_id, token, [message_id for message_id, _ in failed], [reason for _, reason in failed]],
        )
        await _refund(connection, tenant_id, [row["id"] for row in rows])
    return len(rows)


async def record_retry(
    *, tenant_id: UUID, token: datetime, ids: Sequence[UUID], reason: str, now: datetime, first: timedelta
) -> int:
    """Messages to send again later (after ``first``, doubling per attempt, at most an hour); those out
    of attempts are failed. Every one not to be sent again is refunded. How many gave up."""
    if not ids:
        return 0
    async with in_transaction() as connection:
        rows = await connection.execute_query_dict(
            _RETRY, [tenant_id, token, list(ids), reason, MAX_ATTEMPTS, now, first, LONGEST_RETRY]
        )
        ended = [row["id"] for row in rows if row["status"] != "queued"]
        await _refund(connection, tenant_id, ended)
    return sum(row["status"] == "failed" for row in rows)


async def record_unknown(
    *,
    tenant_id: UUID,
    token: datetime,
    ids: Sequence[UUID],
    since: datetime,
    reason: str,
    look_again: datetime,
    grace: timedelta,
) -> None:
    """Messages whose outcome is unknown since ``since``: looked up at ``look_again`` at the earliest (and
    ``grace`` after the attempt, when the provider's "not there" needs time to be believed)."""
    if not ids:
        return
    async with in_transaction() as connection:
        await connection.execute_query_dict(
            _UNKNOWN, [tenant_id, token, list(ids), since, reason, look_again, grace]
        )


async def _refund(connection: BaseDBAsyncClient, tenant_id: UUID, message_ids: Sequence[UUID]) -> None:
    for message_id in message_ids:
        await charging.refund_message(connection, tenant_id, message_id)
