"""Owners' manual credit adjustments: grant or deduct credit by hand, with a reason, audited.

An adjustment is one ``adjustment`` line on the customer's ledger (positive: credit given, spendable at
once, optionally expiring; negative: credit taken) and one ``credit.adjusted`` entry on the store's audit
trail naming who did it, why, and the balance after — both in the caller's transaction, so neither
exists without the other.

A client retrying a request sends the same key: the adjustment is written once per key in the store
(ledger key ``adjustment:<key>``) and a repeat returns the first, unchanged. The same key with a
different customer, amount or reason is refused (``IDEMPOTENCY_KEY_REUSED``) rather than silently
ignored. A deduction never takes the available balance below zero (``INSUFFICIENT_CREDIT``, saying what
is available); what is pending cannot be deducted until it matures.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Final
from uuid import UUID

from tortoise.exceptions import IntegrityError

from domain.audit import service as audit
from domain.errors import DomainError
from domain.incentives import ledger
from domain.incentives.checkout import InsufficientCredit
from domain.incentives.models import CreditEntry

MAX_REASON: Final = 255
MAX_KEY: Final = 100
MAX_AMOUNT: Final = 10**15
"""The largest adjustment, in minor units (a quadrillion: beyond any store's credit, far inside BIGINT)."""
ACTION: Final = "credit.adjusted"


@dataclass(frozen=True)
class Adjustment:
    """The ledger line an adjustment wrote (or the first one, for a repeated key) and the balances after."""

    entry: CreditEntry
    balances: ledger.Balances
    repeated: bool
    """True when the key had been used: nothing new was written."""


def clean_reason(reason: str) -> str:
    """The reason, trimmed: 1–255 characters, no control characters (NUL, newlines, tabs, bidi marks
    are all refused; the reason is shown on one line in the ledger and the audit trail)."""
    text = reason.strip()
    if not text or len(text) > MAX_REASON:
        raise DomainError("INVALID", f"Give a reason of 1 to {MAX_REASON} characters.", field="reason")
    if any(unicodedata.category(char) in {"Cc", "Cf", "Cs", "Co", "Cn"} for char in text):
        raise DomainError("INVALID", "The reason may not contain control characters.", field="reason")
    return text


def clean_key(key: str) -> str:
    """The client's idempotency key: 1–100 printable ASCII characters, no spaces."""
    if not key or len(key) > MAX_KEY or not all("!" <= char <= "~" for char in key):
        raise DomainError(
            "INVALID",
            f"The idempotency key is 1 to {MAX_KEY} printable ASCII characters without spaces.",
            field="idempotencyKey",
        )
    return key


async def adjust(
    *,
    tenant_id: UUID,
    customer_id: UUID,
    amount: int,
    reason: str,
    idempotency_key: str,
    actor_user_id: UUID | None,
    now: datetime,
    expires_at: datetime | None = None,
) -> Adjustment:
    """Grant (``amount`` > 0) or deduct (``amount`` < 0) the customer's credit, in minor units.

    Runs in the caller's transaction under the customer's account lock. Raises ``INVALID`` (a zero
    amount or one beyond ±10^15, a reason or key outside its limits, an expiry on a deduction or not in
    the future), ``NOT_FOUND`` (not the store's customer), :class:`InsufficientCredit` (a deduction
    beyond the available balance) and ``IDEMPOTENCY_KEY_REUSED``.
    """
    text = clean_reason(reason)
    key = f"adjustment:{clean_key(idempotency_key)}"
    if amount == 0 or abs(amount) > MAX_AMOUNT:
        raise DomainError("INVALID", "Adjust by a non-zero amount of at most 10^15.", field="amount")
    if expires_at is not None and (amount < 0 or expires_at <= now):
        raise DomainError(
            "INVALID", "Only credit given can expire, and only in the future.", field="expiresAt"
        )
    account, moment = await ledger.lock_account(tenant_id=tenant_id, customer_id=customer_id, now=now)
    existing = await CreditEntry.get_or_none(tenant_id=tenant_id, idempotency_key=key)
    if existing is not None:
        return await _repeat(existing, customer_id=customer_id, amount=amount, reason=text, moment=moment)
    current = await ledger.balances(tenant_id=tenant_id, customer_id=customer_id, now=moment)
    if amount < 0 and -amount > current.available:
        raise InsufficientCredit(current.available)
    try:
        entry = await CreditEntry.create(
            tenant_id=tenant_id,
            customer_id=customer_id,
            kind=ledger.ADJUSTMENT,
            amount=amount,
            available_at=moment,
            expires_at=expires_at,
            idempotency_key=key,
            note=text,
        )
    except IntegrityError as exc:
        # The key was taken meanwhile for another customer (whose account lock this one does not share).
        raise _reused() from exc
    await ledger.recompute(account, now=moment)
    after = ledger.Balances(available=account.available, pending=account.pending)
    await audit.record(
        tenant_id=tenant_id,
        actor_user_id=actor_user_id,
        action=ACTION,
        subject_type="customer",
        subject_id=customer_id,
        detail={
            "entry_id": str(entry.id),
            "amount": amount,
            "reason": text,
            "idempotency_key": idempotency_key,
            "expires_at": expires_at.isoformat() if expires_at else None,
            "available_after": after.available,
            "pending_after": after.pending,
        },
        at=moment,
    )
    return Adjustment(entry=entry, balances=after, repeated=False)


async def _repeat(
    existing: CreditEntry, *, customer_id: UUID, amount: int, reason: str, moment: datetime
) -> Adjustment:
    same = (
        existing.kind == ledger.ADJUSTMENT
        and existing.customer_id == customer_id  # type: ignore[attr-defined]
        and existing.amount == amount
        and existing.note == reason
    )
    if not same:
        raise _reused()
    current = await ledger.balances(
        tenant_id=existing.tenant_id,  # type: ignore[attr-defined]
        customer_id=customer_id,
        now=moment,
    )
    return Adjustment(entry=existing, balances=current, repeated=True)


def _reused() -> DomainError:
    return DomainError(
        "IDEMPOTENCY_KEY_REUSED",
        "This idempotency key was used for a different adjustment; use a new key for a new adjustment.",
        field="idempotencyKey",
    )
