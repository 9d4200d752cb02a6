"""Credit that expires: what is left of each grant, the daily expiry pass, and credit expiring soon.

**Which credit a spend uses.** A customer's spends (at checkout, a deduction, a reversal the balance
could not fully cover) use the credit that expires soonest first, and credit that never expires last;
among grants expiring at the same moment, the newest is used first. The ledger does not tie a spend to
a grant. Instead, what is left of each grant is worked out from the balance whenever it is needed: the
available balance is shared out among the grants that make it up, the latest-expiring first (never
expiring before any that expires), each taking at most what it has not lost to reversals or earlier
expiry. Whatever the balance does not cover was spent, from the soonest-expiring grants. This is the
customer's most favourable reading of the ledger, and it never lets expiry take more than the balance.

**When credit expires.** Credit is spendable through the whole local day (in the store's timezone) of
its ``expires_at`` and leaves the balance in the store's first expiry pass of the next day: a worker
fans out one job per store every 15 minutes (job id ``credit-expiry:<tenant>:<local day>``, kept for
two days, so one pass a day), and the pass expires every grant whose ``expires_at`` is before the start
of that local day. Each grant expires once, with one ``expiry`` line (key ``expiry:<grant id>``,
pointing at the grant) for what is left of it — 0 when it was all spent, so a grant is never looked at
again. Repeating a pass, or two passes at once, writes nothing more.

**Set-based.** A pass takes the due grants' customers in chunks; per chunk one transaction locks their
accounts (in id order), writes the expiry lines with one ``INSERT … SELECT`` and refreshes the cached
balances with one ``UPDATE … FROM``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Final
from uuid import UUID
from zoneinfo import ZoneInfo

from tortoise import Tortoise
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from domain.incentives.ledger import ADJUSTMENT, CASHBACK, CHECKOUT_KINDS, CREDIT, EXPIRY

CHUNK: Final = 1000
"""Customers whose grants one transaction of the pass expires."""

ALLOCATED_KINDS: Final = sorted({CASHBACK, CREDIT, ADJUSTMENT})
"""The kinds whose positive lines are grants: credit a spend uses and that may expire."""
_CHECKOUT: Final = "'{" + ",".join(sorted(CHECKOUT_KINDS)) + "}'::text[]"
_GRANTS: Final = "'{" + ",".join(ALLOCATED_KINDS) + "}'::text[]"


@dataclass(frozen=True)
class ExpiringCredit:
    """A customer's credit, still unspent, that expires in a window; ``expires_at`` is the soonest."""

    customer_id: UUID
    amount: int
    expires_at: datetime


@dataclass(frozen=True)
class ExpiryPass:
    """What one expiry pass of a store did."""

    grants: int
    """Grants whose expiry was recorded (including those with nothing left)."""
    customers: int
    """Customers whose balance lost credit."""
    amount: int
    """Credit taken from balances, in minor units."""


_ALLOCATION = f"""
moment AS (
  SELECT e.customer_id,
         greatest($2::timestamptz, max(e.available_at) FILTER (WHERE e.kind = ANY({_CHECKOUT})))
           AS at
  FROM credit_entries AS e
  WHERE e.tenant_id = $1 AND e.customer_id = ANY(SELECT customer_id FROM wanted)
  GROUP BY e.customer_id
), pool AS (
  SELECT e.customer_id, sum(e.amount) AS available
  FROM credit_entries AS e JOIN moment AS m ON m.customer_id = e.customer_id
  WHERE e.tenant_id = $1 AND e.available_at <= m.at
  GROUP BY e.customer_id
), grants AS (
  SELECT g.id, g.customer_id, g.amount, g.expires_at, g.order_id, m.at,
         greatest(g.amount + coalesce((SELECT sum(r.amount) FROM credit_entries AS r
                                       WHERE r.tenant_id = $1 AND r.reverses_id = g.id), 0), 0) AS net
  FROM credit_entries AS g JOIN moment AS m ON m.customer_id = g.customer_id
  WHERE g.tenant_id = $1 AND g.amount > 0 AND g.available_at <= m.at
    AND g.kind = ANY({_GRANTS})
), allocated AS (
  SELECT g.*, greatest(0, least(g.net, greatest(p.available, 0) - coalesce(sum(g.net) OVER (
           PARTITION BY g.customer_id ORDER BY g.expires_at DESC NULLS FIRST, g.id
           ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0))) AS remaining
  FROM grants AS g JOIN pool AS p ON p.customer_id = g.customer_id
)"""
"""What is left of each available grant of the customers in ``wanted`` at ``$2`` (or at their newest
checkout line, when later): the module's rule, one window over each customer's grants."""

_DUE = """
SELECT DISTINCT g.customer_id FROM credit_entries AS g
WHERE g.tenant_id = $1 AND g.expires_at IS NOT NULL AND g.amount > 0 AND g.expires_at < $2
  AND g.kind = ANY($3::text[])
  AND NOT EXISTS (SELECT 1 FROM credit_entries AS x
                  WHERE x.tenant_id = $1 AND x.idempotency_key = 'expiry:' || g.id::text)
ORDER BY g.customer_id
LIMIT $4
"""

_LOCK = """
SELECT customer_id FROM credit_accounts WHERE tenant_id = $1 AND customer_id = ANY($2::uuid[])
ORDER BY customer_id FOR UPDATE
"""

_EXPIRE = f"""
WITH wanted AS (SELECT unnest($3::uuid[]) AS customer_id), {_ALLOCATION}
INSERT INTO credit_entries (id, tenant_id, customer_id, kind, amount, available_at, expires_at, order_id,
    reverses_id, idempotency_key, note, created_at)
SELECT gen_random_uuid(), $1, a.customer_id, '{EXPIRY}', -a.remaining, a.at, NULL, a.order_id, a.id,
    'expiry:' || a.id::text,
    CASE WHEN a.remaining = 0 THEN 'expired; nothing was left of it'
         ELSE format('expired: %s of the %s granted was left', a.remaining, a.amount) END,
    now()
FROM allocated AS a
WHERE a.expires_at < $4
ON CONFLICT DO NOTHING
RETURNING customer_id, amount
"""

REFRESH_BALANCES = f"""
UPDATE credit_accounts AS a
SET available = s.available, pending = s.pending, updated_at = now()
FROM (
  SELECT e.customer_id,
         coalesce(sum(e.amount) FILTER (WHERE e.available_at <= m.at), 0) AS available,
         coalesce(sum(e.amount) FILTER (WHERE e.available_at > m.at), 0) AS pending
  FROM credit_entries AS e
  JOIN (SELECT c.customer_id,
               greatest($2::timestamptz, (SELECT max(x.available_at) FROM credit_entries AS x
                                   WHERE x.tenant_id = $1 AND x.customer_id = c.customer_id
                                     AND x.kind = ANY({_CHECKOUT}))) AS at
        FROM unnest($3::uuid[]) AS c(customer_id)) AS m ON m.customer_id = e.customer_id
  WHERE e.tenant_id = $1
  GROUP BY e.customer_id
) AS s
WHERE a.tenant_id = $1 AND a.customer_id = s.customer_id
"""
"""The cached balances of the customers ``$3`` at ``$2`` (or their newest checkout line), as
:func:`domain.incentives.ledger.recompute` computes one; call it with their accounts locked."""

_EXPIRING = f"""
WITH wanted AS (
  SELECT DISTINCT g.customer_id FROM credit_entries AS g
  WHERE g.tenant_id = $1 AND g.expires_at IS NOT NULL AND g.amount > 0
    AND g.expires_at >= $3 AND g.expires_at < $4
), {_ALLOCATION}
SELECT a.customer_id, sum(a.remaining) AS amount, min(a.expires_at) AS expires_at
FROM allocated AS a
WHERE a.expires_at >= $3 AND a.expires_at < $4 AND a.remaining > 0
  AND NOT EXISTS (SELECT 1 FROM credit_entries AS x
                  WHERE x.tenant_id = $1 AND x.idempotency_key = 'expiry:' || a.id::text)
GROUP BY a.customer_id
ORDER BY a.customer_id
"""


def day_start(day: date, timezone: str) -> datetime:
    """The first moment of ``day`` in the store's timezone, in UTC."""
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(timezone)).astimezone(UTC)


def local_day(moment: datetime, timezone: str) -> date:
    """The store's local date at ``moment``."""
    return moment.astimezone(ZoneInfo(timezone)).date()


async def expiring(
    connection: BaseDBAsyncClient,
    *,
    tenant_id: UUID,
    start: datetime,
    end: datetime,
    now: datetime | None = None,
) -> list[ExpiringCredit]:
    """Per customer, the credit still unspent at ``now`` (default: the current time) that expires in
    [``start``, ``end``), with the soonest of those expiry moments; customers with none are left out.

    What is unspent follows the module's rule (spends use the soonest-expiring credit first). Grants
    already expired by a pass are left out. One statement over the expiring-grants index: the
    "credit expiring in N days" trigger asks this for a whole store every day.
    """
    rows = await connection.execute_query_dict(_EXPIRING, [tenant_id, now or datetime.now(UTC), start, end])
    return [
        ExpiringCredit(
            customer_id=row["customer_id"], amount=int(row["amount"]), expires_at=row["expires_at"]
        )
        for row in rows
    ]


async def expire_due(
    *, tenant_id: UUID, day: date, timezone: str, now: datetime | None = None, chunk: int = CHUNK
) -> ExpiryPass:
    """The store's expiry pass for its local ``day``: expire every grant whose ``expires_at`` is before
    the day's start, for what is left of it, once; refresh the cached balances of those customers.

    Opens one transaction per ``chunk`` customers (never call it inside a transaction of your own: it
    would hold every lock until the end). Safe to run again or concurrently. ``now`` (default: the
    current time, taken afresh for each chunk) is the moment the expiry lines take effect.
    """
    cutoff = day_start(day, timezone)
    grants = customers = amount = 0
    connection = Tortoise.get_connection("default")
    previous: list[UUID] = []
    while True:
        rows = await connection.execute_query_dict(_DUE, [tenant_id, cutoff, ALLOCATED_KINDS, chunk])
        wanted = [row["customer_id"] for row in rows]
        if not wanted or wanted == previous:
            # Nothing due, or only grants a concurrent pass holds (it expires them).
            return ExpiryPass(grants=grants, customers=customers, amount=amount)
        previous = wanted
        async with in_transaction() as transaction:
            moment = now or datetime.now(UTC)
            await transaction.execute_query(_LOCK, [tenant_id, wanted])
            written = await transaction.execute_query_dict(_EXPIRE, [tenant_id, moment, wanted, cutoff])
            losers = sorted({row["customer_id"] for row in written if row["amount"] < 0})
            if losers:
                await transaction.execute_query(REFRESH_BALANCES, [tenant_id, moment, losers])
        grants += len(written)
        customers += len(losers)
        amount -= sum(int(row["amount"]) for row in written)
