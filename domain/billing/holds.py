"""When the wallet cannot pay: the store goes on hold, its owner is told once, and it resumes by itself.

Revisit never sends on credit. A charge the wallet refuses (:mod:`domain.billing.charging`) puts the store
on hold — ``hold_reason`` ``insufficient_funds``, ``held_since`` and what the refused charge needed — in
the caller's transaction; nothing is lost meanwhile: the SMS stays ``queued``, the journey run stays due,
and the journeys poller skips a store on hold (one index probe). The owner gets one SMS per hold.

:func:`funds_added` (payments calls it after every top-up; a minute cron calls it for every store on hold)
lifts the hold once the available balance pays what was refused; journeys and queued messages then go on
with the next poll, and campaigns paused for funds resume (the jobs side).

Low balance. When the available balance falls below the owner's ``low_balance_threshold`` the owner gets
one SMS, and another only after it has risen to the threshold again (``low_balance_warned_at`` marks a
crossing). :func:`check_low_balance` runs after charges and, for every store, from the minute cron, so a
reservation or an adjustment crossing the line is caught too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final
from uuid import UUID

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient

from domain.billing import notices
from domain.tenancy.models import Tenant

INSUFFICIENT_FUNDS: Final = "insufficient_funds"


@dataclass(frozen=True)
class Hold:
    """Why and since when a store cannot send: ``needed`` IRR were refused."""

    reason: str
    since: datetime
    needed: int
    notified_at: datetime | None


_HOLD = "SELECT hold_reason, held_since, hold_needed, hold_notified_at FROM wallets WHERE tenant_id = $1"


async def on_hold(tenant_id: UUID, *, connection: BaseDBAsyncClient | None = None) -> Hold | None:
    """The store's hold, or None when it may send (one row read)."""
    rows = await (connection or connections.get("default")).execute_query_dict(_HOLD, [tenant_id])
    if not rows or rows[0]["hold_reason"] is None:
        return None
    row = rows[0]
    return Hold(
        reason=row["hold_reason"],
        since=row["held_since"],
        needed=int(row["hold_needed"] or 0),
        notified_at=row["hold_notified_at"],
    )


_PUT_ON_HOLD = """
UPDATE wallets AS w
SET hold_reason = $2, held_since = coalesce(w.held_since, $3), hold_needed = $4, updated_at = now()
WHERE w.tenant_id = $1
RETURNING w.held_since, w.hold_notified_at
"""
_NOTIFIED = "UPDATE wallets SET hold_notified_at = $2 WHERE tenant_id = $1"


async def put_on_hold(connection: BaseDBAsyncClient, tenant: Tenant, *, needed: int, now: datetime) -> Hold:
    """Hold the store (its wallet row locked by the refused charge) and tell the owner, once per hold."""
    [row] = await connection.execute_query_dict(_PUT_ON_HOLD, [tenant.id, INSUFFICIENT_FUNDS, now, needed])
    since, notified_at = row["held_since"], row["hold_notified_at"]
    if notified_at is None:
        message = await notices.notify_owner(tenant, "hold", at=since, now=now)
        if message is not None:
            notified_at = now
            await connection.execute_query(_NOTIFIED, [tenant.id, now])
    return Hold(reason=INSUFFICIENT_FUNDS, since=since, needed=needed, notified_at=notified_at)


_LIFT = """
UPDATE wallets SET hold_reason = NULL, held_since = NULL, hold_needed = NULL, hold_notified_at = NULL,
                   updated_at = now()
WHERE tenant_id = $1 AND hold_reason IS NOT NULL AND balance - reserved >= coalesce(hold_needed, 1)
RETURNING tenant_id
"""


async def funds_added(tenant_id: UUID, *, now: datetime | None = None) -> None:
    """Lift the store's hold when the available balance now pays what was refused (idempotent), and
    clear or raise the low-balance warning. Call after the top-up's transaction commits."""
    await lift_if_paid(tenant_id)
    await check_low_balance([tenant_id], now=now or datetime.now(UTC))


async def lift_if_paid(tenant_id: UUID, *, connection: BaseDBAsyncClient | None = None) -> bool:
    """Lift the hold if the available balance pays what was refused; whether it was lifted now."""
    rows = await (connection or connections.get("default")).execute_query_dict(_LIFT, [tenant_id])
    return bool(rows)


async def held_stores(*, limit: int = 10_000) -> list[UUID]:
    """The stores on hold now (the minute cron's list)."""
    rows = await connections.get("default").execute_query_dict(
        "SELECT tenant_id FROM wallets WHERE hold_reason IS NOT NULL ORDER BY tenant_id LIMIT $1", [limit]
    )
    return [row["tenant_id"] for row in rows]


_CROSSINGS = """
UPDATE wallets AS w
SET low_balance_warned_at =
    CASE WHEN w.balance - w.reserved < t.low_balance_threshold THEN $2::timestamptz END
FROM tenants AS t
WHERE t.id = w.tenant_id AND ($1::uuid[] IS NULL OR w.tenant_id = ANY($1::uuid[]))
  AND t.low_balance_threshold IS NOT NULL
  AND (w.balance - w.reserved < t.low_balance_threshold) <> (w.low_balance_warned_at IS NOT NULL)
RETURNING w.tenant_id, w.low_balance_warned_at, w.balance - w.reserved AS available, t.low_balance_threshold
"""


async def check_low_balance(
    tenant_ids: Sequence[UUID] | None, *, now: datetime, connection: BaseDBAsyncClient | None = None
) -> list[UUID]:
    """Mark the stores (all, when ``tenant_ids`` is None) whose available balance crossed their threshold,
    in one statement, and warn the owners of those that fell below it; returns the stores warned now.
    A store that rose back to its threshold is unmarked, so its next fall warns again."""
    conn = connection or connections.get("default")
    rows = await conn.execute_query_dict(_CROSSINGS, [None if tenant_ids is None else list(tenant_ids), now])
    warned = [row for row in rows if row["low_balance_warned_at"] is not None]
    for row in warned:
        tenant = await Tenant.filter(id=row["tenant_id"]).using_db(conn).get()
        await notices.notify_owner(
            tenant,
            "low_balance",
            at=now,
            now=now,
            available=int(row["available"]),
            threshold=int(row["low_balance_threshold"]),
        )
    return [row["tenant_id"] for row in warned]
