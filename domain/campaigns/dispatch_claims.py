"""Taking a chunk of a campaign's queued messages, in one transaction: the campaign still sending, the
customers still willing, the chunk paid for, then claimed.

:func:`claim_chunk` locks up to ``size`` queued, due messages of one campaign ``FOR UPDATE SKIP LOCKED``
(while it holds the campaign row ``FOR SHARE``, so a pause or cancel waits for the claim and takes effect
at the next chunk), withdraws those whose customer has said no since launch (set-based: a «۱۱» reply, a
withdrawn consent, the store's switch to opt-in → ``suppressed``), charges the rest from the campaign's
reservation with :func:`domain.billing.charging.charge_messages` and, when that pays, claims them:
``claimed_until`` is set to a moment unique to this claim (its token), which every later write of the
chunk matches, and each message's attempt (or look-up) is counted.

A message found claimed before ``since`` (the moment the caller's dispatch took the store's lease) was
claimed by a dispatch that died before it recorded the outcome — no live dispatch but the caller's can
hold the store, and the caller's own chunks in flight (claimed since) are skipped. It may have gone out: it
becomes an unknown outcome (``outcome_unknown_at``, the moment of that claim) and is looked up before
anything is sent. It is not withdrawn, and it was paid for when first claimed (charges are once per
message).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final
from uuid import UUID

from tortoise import Tortoise
from tortoise.transactions import in_transaction

from domain.billing import charging
from domain.campaigns import lifecycle
from domain.messaging import consent, policy
from domain.messaging.accounts import Route
from domain.tenancy.models import Tenant

CLAIM_LEASE: Final = timedelta(minutes=2)
"""How far ahead of the claim ``claimed_until`` is set. It marks the claim (and its moment: the claim is
``claimed_until − CLAIM_LEASE``); liveness is the dispatch lease's business."""

UNKNOWN_REASON: Final = "Outcome unknown: the dispatch stopped while talking to the provider"


@dataclass(frozen=True)
class Claimed:
    """One claimed message: what to send, and since when its outcome is unknown (None: never tried)."""

    id: UUID
    phone: str
    body: str
    parts: int
    attempts: int
    outcome_unknown_at: datetime | None


@dataclass(frozen=True)
class Chunk:
    """What one claim took: ``status`` of the campaign (the claim is empty unless ``sending``),
    ``paid`` False when the wallet could not pay (nothing claimed), the claim's ``token``."""

    status: str
    paid: bool
    token: datetime | None
    messages: tuple[Claimed, ...]
    suppressed: int


_CAMPAIGN: Final = """
SELECT status, reservation_key FROM campaigns WHERE tenant_id = $1 AND id = $2 FOR SHARE
"""

_LOCK: Final = """
SELECT id, parts, claimed_until, outcome_unknown_at, attempts, lookups, failure_reason, sms_account_id
FROM outbound_messages
WHERE tenant_id = $1 AND campaign_id = $2 AND status = 'queued' AND (send_after IS NULL OR send_after <= $3)
  AND (claimed_until IS NULL OR claimed_until < $5)
LIMIT $4
FOR UPDATE SKIP LOCKED
"""

_WITHDRAW: Final = f"""
WITH refused AS (
    SELECT m.id,
           CASE WHEN c.id IS NULL THEN '{policy.NO_CONSENT}'
                WHEN NOT c.marketing_consent THEN '{policy.OPTED_OUT}'
                WHEN NOT (c.consent_source <> '{consent.UNKNOWN}' OR $3 = '{consent.OPT_OUT}')
                    THEN '{policy.NO_CONSENT}'
                WHEN EXISTS (SELECT 1 FROM sms_suppressions s
                             WHERE s.tenant_id = $1 AND s.phone = m.phone AND s.lifted_at IS NULL)
                    THEN '{policy.SUPPRESSED_NUMBER}'
           END AS reason
    FROM outbound_messages m
    LEFT JOIN customers c ON c.tenant_id = m.tenant_id AND c.id = m.customer_id
    WHERE m.tenant_id = $1 AND m.id = ANY($2::uuid[])
      AND m.claimed_until IS NULL AND m.outcome_unknown_at IS NULL AND m.purpose = '{policy.MARKETING}'
)
UPDATE outbound_messages m
SET status = 'suppressed', policy_reason = refused.reason,
    failure_reason = CASE refused.reason
        WHEN '{policy.OPTED_OUT}' THEN 'opted out (since the campaign was launched)'
        WHEN '{policy.SUPPRESSED_NUMBER}'
            THEN 'opted out: the phone is on the store''s suppression list (since the campaign was launched)'
        ELSE 'no consent (since the campaign was launched)' END,
    updated_at = now()
FROM refused
WHERE m.tenant_id = $1 AND m.id = refused.id AND refused.reason IS NOT NULL
RETURNING m.id
"""

_CLAIM: Final = f"""
UPDATE outbound_messages m
SET claimed_until = $3,
    outcome_unknown_at = CASE WHEN m.claimed_until IS NOT NULL
        THEN COALESCE(m.outcome_unknown_at, m.claimed_until - $4::interval) ELSE m.outcome_unknown_at END,
    failure_reason = CASE WHEN m.claimed_until IS NOT NULL THEN '{UNKNOWN_REASON}' ELSE m.failure_reason END,
    attempts = m.attempts + CASE WHEN m.claimed_until IS NULL AND m.outcome_unknown_at IS NULL
        THEN 1 ELSE 0 END,
    lookups = m.lookups + CASE WHEN m.claimed_until IS NULL AND m.outcome_unknown_at IS NULL
        THEN 0 ELSE 1 END,
    sms_account_id = $5, updated_at = now()
WHERE m.tenant_id = $1 AND m.id = ANY($2::uuid[])
RETURNING m.id, m.phone, m.body, m.parts, m.attempts, m.outcome_unknown_at
"""

_UNCLAIM: Final = """
UPDATE outbound_messages m
SET claimed_until = o.claimed_until, outcome_unknown_at = o.outcome_unknown_at, attempts = o.attempts,
    lookups = o.lookups, failure_reason = o.failure_reason, sms_account_id = o.sms_account_id
FROM unnest($2::uuid[], $3::timestamptz[], $4::timestamptz[], $5::int[], $6::int[], $7::text[], $8::uuid[])
    AS o(id, claimed_until, outcome_unknown_at, attempts, lookups, failure_reason, sms_account_id)
WHERE m.tenant_id = $1 AND m.id = o.id
"""


async def claim_chunk(
    *,
    tenant: Tenant,
    campaign_id: UUID,
    size: int,
    now: datetime,
    route: Route,
    since: datetime | None = None,
) -> Chunk:
    """Take the campaign's next chunk (see the module docstring); the caller holds the dispatch lease,
    taken at ``since`` (default ``now``: every claim found is a dead dispatch's)."""
    async with in_transaction() as connection:
        if route.provider.dedupes_local_ids:
            # Lost in a database crash, this claim (and its charge) would be made again and the provider
            # would refuse the repeated local ids: its commit need not wait for the disk, and so the
            # wallet's lock is not held for that wait.
            await connection.execute_query("SET LOCAL synchronous_commit = off")
        rows = await connection.execute_query_dict(_CAMPAIGN, [tenant.id, campaign_id])
        if not rows or rows[0]["status"] != lifecycle.SENDING:
            return Chunk(rows[0]["status"] if rows else lifecycle.CANCELLED, True, None, (), 0)
        reservation_key = rows[0]["reservation_key"]
        locked = await connection.execute_query_dict(
            _LOCK, [tenant.id, campaign_id, now, size, (since or now) + CLAIM_LEASE]
        )
        if not locked:
            return Chunk(lifecycle.SENDING, True, None, (), 0)
        ids = [row["id"] for row in locked]
        withdrawn = {
            row["id"]
            for row in await connection.execute_query_dict(_WITHDRAW, [tenant.id, ids, consent.mode(tenant)])
        }
        going = [(row["id"], row["parts"]) for row in locked if row["id"] not in withdrawn]
        if not going:
            return Chunk(lifecycle.SENDING, True, None, (), len(withdrawn))
        token = now + CLAIM_LEASE
        # Claimed first, charged last: the wallet's row lock is held only from the charge to the commit.
        claimed = await connection.execute_query_dict(
            _CLAIM, [tenant.id, [message_id for message_id, _ in going], token, CLAIM_LEASE, route.account_id]
        )
        paid = await charging.charge_messages(
            connection, tenant, going, reservation_key=reservation_key, provider=route.provider.name, now=now
        )
        if not paid:  # nothing was charged (the hold it wrote stays): the claim is undone
            before = [row for row in locked if row["id"] not in withdrawn]
            await connection.execute_query(_UNCLAIM, [tenant.id, *_columns(before)])
            return Chunk(lifecycle.SENDING, False, None, (), len(withdrawn))
    messages = tuple(
        Claimed(
            id=row["id"],
            phone=row["phone"],
            body=row["body"],
            parts=row["parts"],
            attempts=row["attempts"],
            outcome_unknown_at=row["outcome_unknown_at"],
        )
        for row in claimed
    )
    return Chunk(lifecycle.SENDING, True, token, messages, len(withdrawn))


def _columns(rows: list[dict[str, Any]]) -> list[list[Any]]:
    names = (
        "id",
        "claimed_until",
        "outcome_unknown_at",
        "attempts",
        "lookups",
        "failure_reason",
        "sms_account_id",
    )
    return [[row[name] for row in rows] for name in names]


_NEXT_DUE: Final = """
SELECT min(send_after) AS due, count(*) AS queued FROM outbound_messages
WHERE tenant_id = $1 AND campaign_id = $2 AND status = 'queued'
"""


async def next_due(*, tenant_id: UUID, campaign_id: UUID) -> tuple[int, datetime | None]:
    """How many of the campaign's messages are queued, and the earliest ``send_after`` among them."""
    rows = await Tortoise.get_connection("default").execute_query_dict(_NEXT_DUE, [tenant_id, campaign_id])
    return int(rows[0]["queued"]), rows[0]["due"]


_SENDING: Final = """
SELECT id FROM campaigns WHERE tenant_id = $1 AND status = 'sending' ORDER BY launched_at, id
"""


async def sending_campaigns(tenant_id: UUID) -> list[UUID]:
    """The store's campaigns now sending, the earliest launched first."""
    rows = await Tortoise.get_connection("default").execute_query_dict(_SENDING, [tenant_id])
    return [row["id"] for row in rows]


_STORES: Final = "SELECT DISTINCT tenant_id FROM campaigns WHERE status = 'sending'"


async def stores_sending() -> list[UUID]:
    """Every store with a campaign now sending."""
    rows = await Tortoise.get_connection("default").execute_query_dict(_STORES)
    return [row["tenant_id"] for row in rows]
