"""The customer credit ledger: cashback and store credit, append-only, with cached balances.

Every change is a new :class:`CreditEntry`; nothing is updated or deleted. An entry is *pending*
until its ``available_at`` and *available* from then on, so a balance is always a sum over entries
at a moment. :class:`CreditAccount` caches the sums; it is recomputed under a row lock on the account
in the same transaction as every entry written, so concurrent writers for one customer queue up
behind each other and never see a stale balance.

Callers own the transaction (``in_transaction()``); without one, the account lock lasts a single
statement. :func:`release_matured` is the exception: a cron calls it and it opens one short
transaction per account so it never holds many locks at once.

This module holds grants, reversals, balances and maturing, and the account lock every writer takes;
spending at checkout is :mod:`domain.incentives.checkout`, expiry :mod:`domain.incentives.expiry`,
partial refunds :mod:`domain.incentives.refunds` and owners' adjustments
:mod:`domain.incentives.adjustments`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final
from uuid import UUID

from tortoise import connections
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from domain.customers.models import Customer
from domain.errors import DomainError, NotFound
from domain.incentives.models import CreditAccount, CreditEntry

CASHBACK: Final = "cashback"
"""A grant earned by an order; reversed when the order is refunded or cancelled."""
CREDIT: Final = "credit"
"""A grant the store gave for another reason (goodwill, a campaign)."""
REVERSAL: Final = "reversal"
"""A negative entry cancelling (part of) an earlier grant; it points at the grant it reverses."""
GRANT_KINDS: Final = frozenset({CASHBACK, CREDIT})
REDEMPTION: Final = "redemption"
"""A negative entry: credit spent on an order, held at checkout or redeemed when the order reported it."""
RELEASE: Final = "release"
"""A positive entry: credit held for an order that the order did not use, given back."""
RETURN: Final = "return"
"""A positive entry: credit an order spent, given back because the order was cancelled, failed or refunded."""

EXPIRY: Final = "expiry"
"""A negative entry (or 0): what was left of a grant when it expired; it points at the grant
(:mod:`domain.incentives.expiry`)."""
ADJUSTMENT: Final = "adjustment"
"""An owner's manual grant (positive) or deduction (negative), with a reason, audited
(:mod:`domain.incentives.adjustments`)."""

KINDS: Final = frozenset({CASHBACK, CREDIT, REVERSAL, REDEMPTION, RELEASE, RETURN, EXPIRY, ADJUSTMENT})
"""Every kind of ledger line."""

CHECKOUT_KINDS: Final = frozenset({REDEMPTION, RELEASE, RETURN})
"""The kinds of line checkout writes (:mod:`domain.incentives.checkout`); they take effect when written."""


@dataclass(frozen=True)
class Balances:
    """A customer's credit at one moment, in minor units of the store's currency."""

    available: int
    pending: int

    @property
    def total(self) -> int:
        """What the customer has once everything pending matures."""
        return self.available + self.pending


async def grant(
    *,
    tenant_id: UUID,
    customer_id: UUID,
    amount: int,
    kind: str,
    idempotency_key: str,
    available_at: datetime,
    expires_at: datetime | None = None,
    order_id: UUID | None = None,
    note: str = "",
    now: datetime | None = None,
) -> CreditEntry:
    """Give ``amount`` (minor units, > 0) of credit, spendable from ``available_at``.

    The grant is written once per ``idempotency_key`` in the tenant: repeating the call returns the
    first entry and grants nothing more. The cached balances are computed at ``now`` (default: the
    current time).

    Raises ``INVALID_AMOUNT`` for a non-positive amount, ``INVALID_KIND`` for a kind that is not a
    grant, and ``NOT_FOUND`` when the customer is not the tenant's.
    """
    if amount <= 0:
        raise DomainError("INVALID_AMOUNT", "A grant must be more than zero.", field="amount")
    if kind not in GRANT_KINDS:
        raise DomainError("INVALID_KIND", f"{kind!r} is not a kind of grant.", field="kind")
    if expires_at is not None and expires_at <= available_at:
        raise DomainError(
            "INVALID_EXPIRY", "Credit must expire after it becomes available.", field="expiresAt"
        )
    account = await locked_account(tenant_id=tenant_id, customer_id=customer_id)
    existing = await CreditEntry.get_or_none(tenant_id=tenant_id, idempotency_key=idempotency_key)
    if existing is not None:
        return existing
    entry = await CreditEntry.create(
        tenant_id=tenant_id,
        customer_id=customer_id,
        kind=kind,
        amount=amount,
        available_at=available_at,
        expires_at=expires_at,
        order_id=order_id,
        idempotency_key=idempotency_key,
        note=note[:255],
    )
    await recompute(account, now=now or datetime.now(UTC))
    return entry


async def reverse_order_grants(
    *, tenant_id: UUID, order_id: UUID, reason: str, now: datetime
) -> list[CreditEntry]:
    """Reverse the cashback granted for an order that was refunded, cancelled or failed.

    Each grant is reversed once (idempotency key ``reversal:<grant id>``), so repeating the call, or
    a second refund of the same order, reverses nothing more, and only for what is left of it: what
    partial refunds already reversed, or expiry already took, is not taken twice. A grant still
    pending is cancelled in full: the reversal carries the grant's ``available_at``, so the two mature
    together and cancel out. A grant already available is taken back as far as the available balance
    allows, never below zero (the customer may have spent part of it); what could not be taken back is
    noted on the entry. Returns the reversals written by this call.
    """
    grants = await CreditEntry.filter(tenant_id=tenant_id, order_id=order_id, kind=CASHBACK).order_by(
        "created_at", "id"
    )
    reversals: list[CreditEntry] = []
    for grant_entry in grants:
        customer_id: UUID = grant_entry.customer_id  # type: ignore[attr-defined]
        account, moment = await lock_account(tenant_id=tenant_id, customer_id=customer_id, now=now)
        key = f"reversal:{grant_entry.id}"
        if await CreditEntry.filter(tenant_id=tenant_id, idempotency_key=key).exists():
            continue
        left = await unreversed(grant_entry)
        if left <= 0:
            continue
        entry = await take_back(
            account, grant_entry, amount=left, key=key, reason=reason, order_id=order_id, moment=moment
        )
        reversals.append(entry)
    return reversals


async def unreversed(grant_entry: CreditEntry) -> int:
    """What of a grant no reversal or expiry has taken yet (the grant plus the lines pointing at it)."""
    taken: list[int] = await CreditEntry.filter(
        tenant_id=grant_entry.tenant_id,  # type: ignore[attr-defined]
        reverses_id=grant_entry.id,
    ).values_list("amount", flat=True)  # type: ignore[assignment]
    return grant_entry.amount + sum(taken)


async def take_back(
    account: CreditAccount,
    grant_entry: CreditEntry,
    *,
    amount: int,
    key: str,
    reason: str,
    order_id: UUID | None,
    moment: datetime,
) -> CreditEntry:
    """Write one reversal of ``amount`` (> 0) of a grant on its locked account, and recompute it.

    A pending grant is reversed in full at its own ``available_at`` (the two mature together). An
    available one is reversed at ``moment`` as far as the available balance allows, never below zero;
    the shortfall (credit the customer already spent) is noted on the line.
    """
    customer_id: UUID = grant_entry.customer_id  # type: ignore[attr-defined]
    tenant_id: UUID = grant_entry.tenant_id  # type: ignore[attr-defined]
    if grant_entry.available_at > moment:
        taken, available_at, note = amount, grant_entry.available_at, reason
    else:
        current = await balances(tenant_id=tenant_id, customer_id=customer_id, now=moment)
        taken, available_at = min(amount, max(current.available, 0)), moment
        shortfall = amount - taken
        note = f"{reason}; {shortfall} already spent, not reversed" if shortfall else reason
    entry = await CreditEntry.create(
        tenant_id=tenant_id,
        customer_id=customer_id,
        kind=REVERSAL,
        amount=-taken,
        available_at=available_at,
        order_id=order_id,
        reverses_id=grant_entry.id,
        idempotency_key=key,
        note=note[:255],
    )
    await recompute(account, now=moment)
    return entry


_BALANCES = """
SELECT coalesce(sum(amount) FILTER (WHERE available_at <= $3), 0) AS available,
       coalesce(sum(amount) FILTER (WHERE available_at > $3), 0) AS pending
FROM credit_entries WHERE tenant_id = $1 AND customer_id = $2
"""


async def balances(*, tenant_id: UUID, customer_id: UUID, now: datetime) -> Balances:
    """The customer's balances at ``now``, summed from the ledger itself (not the cache).

    One parameterised statement over the (tenant, customer) index: every checkout quote and hold asks
    this, and building it through the ORM cost more than running it.
    """
    rows = await connections.get("default").execute_query_dict(_BALANCES, [tenant_id, customer_id, now])
    row = rows[0] if rows else {}
    return Balances(available=int(row.get("available") or 0), pending=int(row.get("pending") or 0))


async def release_matured(*, tenant_id: UUID, now: datetime) -> int:
    """Move matured pending credit to available in the cached balances of the tenant's accounts.

    Balances computed with :func:`balances` are always right; this keeps the cache (what reports and
    lists read) in step. Opens one short transaction per account. Returns how many accounts changed.
    """
    customer_ids = (
        await CreditAccount.filter(tenant_id=tenant_id)
        .exclude(pending=0)
        .values_list("customer_id", flat=True)
    )
    changed = 0
    for customer_id in customer_ids:
        async with in_transaction():
            account = await locked_account(tenant_id=tenant_id, customer_id=UUID(str(customer_id)))
            before = (account.available, account.pending)
            await recompute(account, now=now)
            changed += (account.available, account.pending) != before
    return changed


def entries(*, tenant_id: UUID, customer_id: UUID) -> QuerySet[CreditEntry]:
    """The customer's ledger entries, for listing (order it as the page needs)."""
    return CreditEntry.filter(tenant_id=tenant_id, customer_id=customer_id)


async def get_customer(*, tenant_id: UUID, customer_id: UUID) -> Customer:
    """The tenant's customer, or ``NOT_FOUND`` (which is also what another tenant's customer is)."""
    customer = await Customer.get_or_none(id=customer_id, tenant_id=tenant_id)
    if customer is None:
        raise NotFound("Customer", field="customerId")
    return customer


_OPEN_ACCOUNT = """
INSERT INTO credit_accounts (id, tenant_id, customer_id, available, pending, updated_at)
SELECT gen_random_uuid(), c.tenant_id, c.id, 0, 0, now() FROM customers AS c
WHERE c.tenant_id = $1 AND c.id = $2
ON CONFLICT (tenant_id, customer_id) DO NOTHING
"""


async def locked_account(*, tenant_id: UUID, customer_id: UUID) -> CreditAccount:
    """The customer's account, created on first use, locked until the caller's transaction ends;
    ``NOT_FOUND`` when the customer is not the tenant's. Two statements: every grant, hold and
    reversal starts here."""
    await connections.get("default").execute_query(_OPEN_ACCOUNT, [tenant_id, customer_id])
    account = await CreditAccount.select_for_update().get_or_none(
        tenant_id=tenant_id, customer_id=customer_id
    )
    if account is None:
        raise NotFound("Customer", field="customerId")
    return account


async def lock_account(
    *, tenant_id: UUID, customer_id: UUID, now: datetime
) -> tuple[CreditAccount, datetime]:
    """The locked account, and the moment to act on it at (see :func:`acting_moment`)."""
    account = await locked_account(tenant_id=tenant_id, customer_id=customer_id)
    return account, await acting_moment(account, now)


async def acting_moment(account: CreditAccount, now: datetime) -> datetime:
    """``now``, or the moment of the account's newest checkout line when that is later.

    Checkout lines take effect when they are written. A caller's ``now`` can lag behind one (event
    processing uses one ``now`` for a whole batch, a job its start time, while a checkout holds credit
    meanwhile); acting at that earlier moment would not see the hold, and could spend the balance below
    zero or count the hold as negative pending credit.
    """
    newest = (
        await CreditEntry.filter(
            tenant_id=account.tenant_id,  # type: ignore[attr-defined]
            customer_id=account.customer_id,  # type: ignore[attr-defined]
            kind__in=CHECKOUT_KINDS,
        )
        .order_by("-available_at")
        .first()
    )
    return max(now, newest.available_at) if newest else now


_RECOMPUTE = """
UPDATE credit_accounts AS a
SET available = s.available, pending = s.pending, updated_at = now()
FROM (
  SELECT coalesce(sum(e.amount) FILTER (WHERE e.available_at <= m.at), 0) AS available,
         coalesce(sum(e.amount) FILTER (WHERE e.available_at > m.at), 0) AS pending
  FROM (SELECT greatest($3::timestamptz, (SELECT max(x.available_at) FROM credit_entries AS x
                                          WHERE x.tenant_id = $1 AND x.customer_id = $2
                                            AND x.kind = ANY($4::text[]))) AS at) AS m
  LEFT JOIN credit_entries AS e ON e.tenant_id = $1 AND e.customer_id = $2
  GROUP BY m.at
) AS s
WHERE a.tenant_id = $1 AND a.customer_id = $2
RETURNING a.available, a.pending
"""


async def recompute(account: CreditAccount, *, now: datetime) -> None:
    """Write the locked account's cached balances at ``now`` (or its newest checkout line, when later;
    see :func:`acting_moment`), summed from the ledger, in one statement. ``NEGATIVE_BALANCE`` if the
    lines just written took either below zero: the caller's transaction must then roll back."""
    customer_id: UUID = account.customer_id  # type: ignore[attr-defined]
    tenant_id: UUID = account.tenant_id  # type: ignore[attr-defined]
    [row] = await connections.get("default").execute_query_dict(
        _RECOMPUTE, [tenant_id, customer_id, now, sorted(CHECKOUT_KINDS)]
    )
    available, pending = int(row["available"]), int(row["pending"])
    if available < 0 or pending < 0:
        raise DomainError("NEGATIVE_BALANCE", "A credit balance may not go below zero.", field="amount")
    account.available, account.pending = available, pending
