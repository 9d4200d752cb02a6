"""Spending credit at checkout: quote, hold, release, capture at order, return of redemptions.

The store's checkout asks for a :func:`quote`, then :func:`hold` takes the credit from the available
balance before the order is placed, under the account's row lock, so two checkouts can never spend the
same credit. The order's events then settle it (:func:`capture_for_order`, with the ``credit_used``
the order reports), and a cancelled, failed or fully refunded order gives it back
(:func:`return_order_redemptions`); :func:`release` gives back a hold the checkout did not use.

These ledger lines name their order in their idempotency key: ``hold:<order external id>``, then
``release:…``, ``capture-adjust:…``, ``redeem:…`` and ``return:…``. Each operation reads what the
order spends now (held and redeemed, less what was given back) and writes one line to bring that to
what it should be, so repeating an operation, or processing an order event again, writes nothing. An
order that goes round again (a failed payment returns its credit, the retried payment spends it
again) numbers its later lines: ``redeem#2:1042``. A hold is usually taken before Revisit has heard of
the order, so its ``order`` link is set only when the order is already known; every later line of the
order carries it, and the key always names the order.

Checkout lines take effect when they are written (``available_at`` is the moment of writing). Nothing
touching an account acts at a moment before its newest checkout line, even when its caller's ``now``
lags (see :func:`_acting_moment`), so a hold is never missed nor counted as pending.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Final
from uuid import UUID

from tortoise import connections

from domain.commerce.models import Order
from domain.commerce.service import REVERSING_STATUSES
from domain.customers import service as customers
from domain.customers.models import Customer
from domain.customers.service import CustomerIn
from domain.errors import DomainError
from domain.incentives.ledger import REDEMPTION, RELEASE, RETURN, balances, lock_account, recompute
from domain.incentives.models import CreditAccount, CreditEntry

MAX_ORDER_REFERENCE: Final = 64
"""The longest order external id (as long as ``Order.external_id``)."""
_ORDER_OPERATIONS: Final = frozenset({"hold", "release", "capture-adjust", "redeem", "return"})
"""The idempotency-key prefixes of the lines an order's checkout writes (see the module's docstring)."""

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Quote:
    """What a customer could spend on a cart, in minor units. An unknown customer has nothing."""

    customer_found: bool
    available: int
    max_usable: int
    """The available credit, at most the cart's total."""


@dataclass(frozen=True)
class Hold:
    """The credit an order holds, and what the customer has left to spend, in minor units."""

    order_external_id: str
    held: int
    available: int


@dataclass(frozen=True)
class Release:
    """What :func:`release` gave back, and what the customer can spend now (0 when no one held credit)."""

    order_external_id: str
    released: int
    available: int


class InsufficientCredit(DomainError):
    """The customer's available credit does not cover a hold; ``available`` is what they can spend."""

    def __init__(self, available: int) -> None:
        super().__init__(
            "INSUFFICIENT_CREDIT",
            "The customer's available credit does not cover this amount.",
            field="amount",
        )
        self.available = available


async def quote(*, tenant_id: UUID, customer_in: CustomerIn, cart_total_minor: int, now: datetime) -> Quote:
    """What the customer these details identify could spend on a cart of ``cart_total_minor``.

    The customer is found by external id, else phone, else e-mail, and never created: someone Revisit
    does not know has no credit. Raises ``INVALID`` for a negative total or details that identify no one.
    Reads only, in one statement: a quote is asked on every checkout page view.
    """
    if cart_total_minor < 0:
        raise DomainError("INVALID", "The cart total must not be negative.", field="cartTotal")
    if not (customer_in.external_id or customer_in.phone or customer_in.email):
        raise DomainError(
            "INVALID", "Name the customer by their store id, a valid phone or an e-mail.", field="customer"
        )
    rows = await connections.get("default").execute_query_dict(
        _QUOTE, [tenant_id, customer_in.external_id, customer_in.phone, customer_in.email, now]
    )
    if not rows:
        return Quote(customer_found=False, available=0, max_usable=0)
    available = int(rows[0]["available"])
    return Quote(customer_found=True, available=available, max_usable=min(available, cart_total_minor))


_QUOTE = """
WITH candidate AS (
  (SELECT id, 1 AS rank FROM customers WHERE tenant_id = $1 AND external_id = $2::text LIMIT 1)
  UNION ALL
  (SELECT id, 2 FROM customers WHERE tenant_id = $1 AND phone = $3::text LIMIT 1)
  UNION ALL
  (SELECT id, 3 FROM customers WHERE tenant_id = $1 AND email = $4::text ORDER BY created_at LIMIT 1)
), chosen AS (SELECT id FROM candidate ORDER BY rank LIMIT 1)
SELECT chosen.id, coalesce(sum(entry.amount), 0) AS available
FROM chosen
LEFT JOIN credit_entries AS entry
  ON entry.tenant_id = $1 AND entry.customer_id = chosen.id AND entry.available_at <= $5
GROUP BY chosen.id
"""
"""The checkout's hot look-up in one round trip: the customer as ``customers.find`` identifies them (by
external id, else phone, else e-mail, the oldest first) and their credit available at ``now``, over the
(tenant, external id), (tenant, phone), (tenant, e-mail) and (tenant, customer) indexes."""


async def hold(
    *, tenant_id: UUID, customer_in: CustomerIn, order_external_id: str, amount: int, now: datetime
) -> Hold:
    """Take ``amount`` of the customer's available credit for an order being placed.

    Runs under the account's row lock, so of two checkouts that together ask for more than the customer
    has, the second is refused. Once per order: while the order holds (or has spent) credit, asking again
    returns that and takes nothing more; after a release or a return it holds afresh.

    Raises ``INVALID`` (a non-positive amount, a blank or overlong order id, details that identify no
    one, an order already spending another customer's credit), ``CUSTOMER_NOT_FOUND`` and
    :class:`InsufficientCredit`.
    """
    reference = _order_reference(order_external_id)
    if amount <= 0:
        raise DomainError("INVALID", "Hold an amount more than zero.", field="amount")
    customer = await _identify(tenant_id=tenant_id, customer_in=customer_in)
    if customer is None:
        raise DomainError(
            "CUSTOMER_NOT_FOUND", "Revisit knows no such customer in this store.", field="customer"
        )
    payer = await _payer(tenant_id=tenant_id, order_external_id=reference)
    if payer is not None and payer != customer.id:
        raise DomainError(
            "INVALID", f"Order {reference} already spends another customer's credit.", field="orderExternalId"
        )
    account, moment = await lock_account(tenant_id=tenant_id, customer_id=customer.id, now=now)
    spending = await _order_spending(
        tenant_id=tenant_id, customer_id=customer.id, order_external_id=reference
    )
    current = await balances(tenant_id=tenant_id, customer_id=customer.id, now=moment)
    if spending.spent > 0:
        return Hold(order_external_id=reference, held=spending.spent, available=current.available)
    if amount > current.available:
        raise InsufficientCredit(current.available)
    order = await Order.get_or_none(tenant_id=tenant_id, external_id=reference)
    await _write(
        account,
        spending,
        operation="hold",
        kind=REDEMPTION,
        amount=-amount,
        order_id=order.id if order else None,
        note=f"held at checkout for order {reference}",
        now=moment,
    )
    return Hold(order_external_id=reference, held=amount, available=account.available)


async def release(*, tenant_id: UUID, order_external_id: str, now: datetime) -> Release:
    """Give back the credit held for an order that will not use it (the checkout was abandoned).

    What a live order reports in ``credit_used`` stays spent: to give that back, the order is cancelled.
    Releasing again, or releasing an order that held nothing, gives back 0.
    """
    reference = _order_reference(order_external_id)
    payer = await _payer(tenant_id=tenant_id, order_external_id=reference)
    if payer is None:
        return Release(order_external_id=reference, released=0, available=0)
    account, moment = await lock_account(tenant_id=tenant_id, customer_id=payer, now=now)
    spending = await _order_spending(tenant_id=tenant_id, customer_id=payer, order_external_id=reference)
    order = await Order.get_or_none(tenant_id=tenant_id, external_id=reference)
    kept = order.credit_used if order is not None and _spends_credit(order) else 0
    released = max(spending.spent - kept, 0)
    if released:
        await _write(
            account,
            spending,
            operation="release",
            kind=RELEASE,
            amount=released,
            order_id=order.id if order else None,
            note=f"released at checkout for order {reference}",
            now=moment,
        )
    current = await balances(tenant_id=tenant_id, customer_id=payer, now=moment)
    return Release(order_external_id=reference, released=released, available=current.available)


async def capture_for_order(*, tenant_id: UUID, order: Order, now: datetime) -> CreditEntry | None:
    """Settle the credit an order reports in ``credit_used`` against what its checkout held.

    Called when an order event is applied. The order spends exactly ``credit_used`` afterwards: held
    credit it did not use is given back (``capture-adjust``); credit it used beyond the hold, or without
    one (a platform that does not hold), is redeemed as far as the customer's available credit allows,
    never below zero, with the shortfall noted (``redeem``); a later event for the order takes what is
    still missing if the customer has credit by then. An order that is cancelled, failed or fully
    refunded spends nothing: its credit is returned. Returns the line written, if any.
    """
    if not _spends_credit(order):
        reason = f"order {REVERSING_STATUSES.get(order.status, 'refunded')}"
        return await _return(tenant_id=tenant_id, order=order, reason=reason, now=now)
    reference = order.external_id
    customer_id: UUID | None = order.customer_id  # type: ignore[attr-defined]
    payer = await _payer(tenant_id=tenant_id, order_external_id=reference) or customer_id
    if payer is None:
        return None  # a guest no one can identify has no credit to spend
    account, moment = await lock_account(tenant_id=tenant_id, customer_id=payer, now=now)
    spending = await _order_spending(tenant_id=tenant_id, customer_id=payer, order_external_id=reference)
    wanted = order.credit_used
    if spending.spent > wanted:
        return await _write(
            account,
            spending,
            operation="capture-adjust",
            kind=RELEASE,
            amount=spending.spent - wanted,
            order_id=order.id,
            note=f"order {reference} used {wanted} of the {spending.spent} held",
            now=moment,
        )
    if spending.spent == wanted:
        return None
    current = await balances(tenant_id=tenant_id, customer_id=payer, now=moment)
    amount = min(wanted - spending.spent, current.available)
    shortfall = wanted - spending.spent - amount
    if amount <= 0:
        logger.warning("order %s reports %s credit used that the customer does not have", order.id, shortfall)
        return None
    note = f"spent on order {reference}"
    return await _write(
        account,
        spending,
        operation="redeem",
        kind=REDEMPTION,
        amount=-amount,
        order_id=order.id,
        note=f"{note}; {shortfall} more reported but not available" if shortfall else note,
        now=moment,
    )


async def return_order_redemptions(
    *, tenant_id: UUID, order_id: UUID, reason: str, now: datetime
) -> CreditEntry | None:
    """Give back all the credit an order spends (held and redeemed, less what was given back already)
    because it was cancelled, failed or refunded. Returns the line written; calling it again writes
    nothing, as the order then spends nothing."""
    order = await Order.get_or_none(id=order_id, tenant_id=tenant_id)
    if order is None:
        return None
    return await _return(tenant_id=tenant_id, order=order, reason=reason, now=now)


async def _identify(*, tenant_id: UUID, customer_in: CustomerIn) -> Customer | None:
    if not (customer_in.external_id or customer_in.phone or customer_in.email):
        raise DomainError(
            "INVALID", "Name the customer by their store id, a valid phone or an e-mail.", field="customer"
        )
    return await customers.find(tenant_id=tenant_id, customer_in=customer_in)


def _order_reference(order_external_id: str) -> str:
    reference = order_external_id.strip()
    if not reference or len(reference) > MAX_ORDER_REFERENCE:
        raise DomainError(
            "INVALID", f"The order id must be 1 to {MAX_ORDER_REFERENCE} characters.", field="orderExternalId"
        )
    return reference


def _spends_credit(order: Order) -> bool:
    """Whether the order keeps the credit it reports: not cancelled, failed or refunded in full."""
    fully_refunded = order.total > 0 and order.refunded_total >= order.total
    return order.status not in REVERSING_STATUSES and not fully_refunded


@dataclass(frozen=True)
class _OrderSpending:
    """The ledger lines one order's checkout wrote on its customer's account, oldest first."""

    tenant_id: UUID
    customer_id: UUID
    order_external_id: str
    entries: tuple[CreditEntry, ...]

    @property
    def spent(self) -> int:
        """What the order spends now: held and redeemed, less what was given back."""
        return -sum(entry.amount for entry in self.entries)

    def next_key(self, operation: str) -> str:
        """``hold:1042`` for the order's first hold, ``hold#2:1042`` for its second, and so on."""
        done = sum(
            1
            for entry in self.entries
            if _operation_of(entry.idempotency_key, self.order_external_id) == operation
        )
        prefix = operation if done == 0 else f"{operation}#{done + 1}"
        return f"{prefix}:{self.order_external_id}"


def _operation_of(key: str, order_external_id: str) -> str | None:
    """``"hold"`` for ``hold#2:1042`` and order 1042; None for a key that is not one of the order's lines."""
    head, separator, reference = key.partition(":")
    operation = head.partition("#")[0]
    if separator and reference == order_external_id and operation in _ORDER_OPERATIONS:
        return operation
    return None


async def _order_spending(*, tenant_id: UUID, customer_id: UUID, order_external_id: str) -> _OrderSpending:
    """Read under the customer's account lock, so the answer stays true until the caller commits."""
    candidates = await CreditEntry.filter(
        tenant_id=tenant_id, customer_id=customer_id, idempotency_key__endswith=f":{order_external_id}"
    ).order_by("created_at", "id")
    entries = tuple(
        entry for entry in candidates if _operation_of(entry.idempotency_key, order_external_id) is not None
    )
    return _OrderSpending(tenant_id, customer_id, order_external_id, entries)


async def _payer(*, tenant_id: UUID, order_external_id: str) -> UUID | None:
    """The customer whose credit the order spends: whoever's credit its first hold or redemption took."""
    first = (
        await CreditEntry.filter(
            tenant_id=tenant_id,
            idempotency_key__in=[f"hold:{order_external_id}", f"redeem:{order_external_id}"],
        )
        .order_by("created_at", "id")
        .first()
    )
    return first.customer_id if first else None  # type: ignore[attr-defined]


async def _return(*, tenant_id: UUID, order: Order, reason: str, now: datetime) -> CreditEntry | None:
    payer = await _payer(tenant_id=tenant_id, order_external_id=order.external_id)
    if payer is None:
        return None
    account, moment = await lock_account(tenant_id=tenant_id, customer_id=payer, now=now)
    spending = await _order_spending(
        tenant_id=tenant_id, customer_id=payer, order_external_id=order.external_id
    )
    if spending.spent <= 0:
        return None
    return await _write(
        account,
        spending,
        operation="return",
        kind=RETURN,
        amount=spending.spent,
        order_id=order.id,
        note=f"{reason}: credit spent on order {order.external_id} given back",
        now=moment,
    )


async def _write(
    account: CreditAccount,
    spending: _OrderSpending,
    *,
    operation: str,
    kind: str,
    amount: int,
    order_id: UUID | None,
    note: str,
    now: datetime,
) -> CreditEntry:
    """Append one of the order's lines, effective at once, and recompute the locked account."""
    entry = await CreditEntry.create(
        tenant_id=spending.tenant_id,
        customer_id=spending.customer_id,
        kind=kind,
        amount=amount,
        available_at=now,
        order_id=order_id,
        idempotency_key=spending.next_key(operation),
        note=note[:255],
    )
    await recompute(account, now=now)
    return entry
