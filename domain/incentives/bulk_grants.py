"""Many grants at once: the ledger's :func:`domain.incentives.ledger.grant`, set-based.

A journeys poll batch grants the cashback of hundreds of runs together. One call is four statements
whatever the number of grants, with the same effect as calling ``ledger.grant`` once per grant:

1. the customers' accounts are opened (``INSERT … SELECT … ON CONFLICT DO NOTHING``) and locked, both
   in customer id order, the one order every writer of many accounts uses, so a batch never deadlocks
   with checkout, processing or another batch;
2. the entries are written from ``unnest(…)`` with ``ON CONFLICT (tenant_id, idempotency_key) DO
   NOTHING``: a key granted before (a repeated poll, a retried job, the one-by-one path) grants nothing
   more, and its first entry's amount is what the call reports;
3. the cached balances of the accounts that got a new entry are recomputed in one ``UPDATE … FROM``,
   with the same sums and acting moment as :func:`domain.incentives.ledger.recompute`.

Callers own the transaction; the account locks last until it ends.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from tortoise import connections

from domain.errors import DomainError, NotFound
from domain.incentives.ledger import CHECKOUT_KINDS, GRANT_KINDS


@dataclass(frozen=True)
class Grant:
    """One grant of :func:`grant_all`; the fields of :func:`domain.incentives.ledger.grant`."""

    customer_id: UUID
    amount: int
    kind: str
    idempotency_key: str
    available_at: datetime
    expires_at: datetime | None = None
    order_id: UUID | None = None
    note: str = ""


_OPEN_ACCOUNTS = """
INSERT INTO credit_accounts (id, tenant_id, customer_id, available, pending, updated_at)
SELECT gen_random_uuid(), c.tenant_id, c.id, 0, 0, now() FROM customers AS c
WHERE c.tenant_id = $1 AND c.id = ANY($2::uuid[])
ORDER BY c.id
ON CONFLICT (tenant_id, customer_id) DO NOTHING
"""
_LOCK_ACCOUNTS = """
SELECT customer_id FROM credit_accounts
WHERE tenant_id = $1 AND customer_id = ANY($2::uuid[])
ORDER BY customer_id
FOR UPDATE
"""
_INSERT = """
INSERT INTO credit_entries (id, tenant_id, customer_id, kind, amount, available_at, expires_at,
    order_id, idempotency_key, note, created_at)
SELECT gen_random_uuid(), $1, u.customer_id, u.kind, u.amount, u.available_at, u.expires_at,
    u.order_id, u.idempotency_key, u.note, now()
FROM unnest($2::uuid[], $3::text[], $4::bigint[], $5::timestamptz[], $6::timestamptz[], $7::uuid[],
    $8::text[], $9::text[]) WITH ORDINALITY
    AS u(customer_id, kind, amount, available_at, expires_at, order_id, idempotency_key, note, n)
ORDER BY u.n
ON CONFLICT (tenant_id, idempotency_key) DO NOTHING
RETURNING customer_id
"""
_AMOUNTS = """
SELECT idempotency_key, amount FROM credit_entries
WHERE tenant_id = $1 AND idempotency_key = ANY($2::text[])
"""
_RECOMPUTE = """
UPDATE credit_accounts AS a
SET available = s.available, pending = s.pending, updated_at = now()
FROM (
  SELECT c.customer_id,
         coalesce(sum(e.amount) FILTER (WHERE e.available_at <= m.at), 0) AS available,
         coalesce(sum(e.amount) FILTER (WHERE e.available_at > m.at), 0) AS pending
  FROM unnest($2::uuid[]) AS c(customer_id)
  CROSS JOIN LATERAL (
    SELECT greatest($3::timestamptz, (SELECT max(x.available_at) FROM credit_entries AS x
                                      WHERE x.tenant_id = $1 AND x.customer_id = c.customer_id
                                        AND x.kind = ANY($4::text[]))) AS at) AS m
  LEFT JOIN credit_entries AS e ON e.tenant_id = $1 AND e.customer_id = c.customer_id
  GROUP BY c.customer_id, m.at
) AS s
WHERE a.tenant_id = $1 AND a.customer_id = s.customer_id
RETURNING a.customer_id, a.available, a.pending
"""


async def grant_all(*, tenant_id: UUID, grants: Sequence[Grant], now: datetime) -> dict[str, int]:
    """Write every grant once per idempotency key in the tenant, as ``ledger.grant`` would one by one;
    return each key's entry amount (the first entry's, for a key granted before).

    Raises, before writing anything, ``INVALID_AMOUNT``, ``INVALID_KIND``, ``INVALID_EXPIRY`` for a
    grant ``ledger.grant`` would refuse and ``DUPLICATE_KEY`` for a key given twice; ``NOT_FOUND`` when
    a customer is not the tenant's and ``NEGATIVE_BALANCE`` when an account ends below zero (the
    caller's transaction must then roll back).
    """
    if not grants:
        return {}
    for grant in grants:
        if grant.amount <= 0:
            raise DomainError("INVALID_AMOUNT", "A grant must be more than zero.", field="amount")
        if grant.kind not in GRANT_KINDS:
            raise DomainError("INVALID_KIND", f"{grant.kind!r} is not a kind of grant.", field="kind")
        if grant.expires_at is not None and grant.expires_at <= grant.available_at:
            raise DomainError(
                "INVALID_EXPIRY", "Credit must expire after it becomes available.", field="expiresAt"
            )
    keys = [grant.idempotency_key for grant in grants]
    if len(set(keys)) != len(keys):
        raise DomainError(
            "DUPLICATE_KEY", "Each grant needs its own idempotency key.", field="idempotencyKey"
        )
    connection = connections.get("default")
    customers = sorted({grant.customer_id for grant in grants})
    await connection.execute_query(_OPEN_ACCOUNTS, [tenant_id, customers])
    locked = await connection.execute_query_dict(_LOCK_ACCOUNTS, [tenant_id, customers])
    if len(locked) != len(customers):
        raise NotFound("Customer", field="customerId")
    written = await connection.execute_query_dict(
        _INSERT,
        [
            tenant_id,
            [grant.customer_id for grant in grants],
            [grant.kind for grant in grants],
            [grant.amount for grant in grants],
            [grant.available_at for grant in grants],
            [grant.expires_at for grant in grants],
            [grant.order_id for grant in grants],
            keys,
            [grant.note[:255] for grant in grants],
        ],
    )
    changed = sorted({row["customer_id"] for row in written})
    if changed:
        rows = await connection.execute_query_dict(
            _RECOMPUTE, [tenant_id, changed, now, sorted(CHECKOUT_KINDS)]
        )
        if any(int(row["available"]) < 0 or int(row["pending"]) < 0 for row in rows):
            raise DomainError("NEGATIVE_BALANCE", "A credit balance may not go below zero.", field="amount")
    amounts = await connection.execute_query_dict(_AMOUNTS, [tenant_id, keys])
    return {row["idempotency_key"]: int(row["amount"]) for row in amounts}
