"""The merchant wallet: an append-only ledger in IRR per store, with its sums cached under a row lock.

Every change is a new :class:`WalletEntry` carrying what it did to the two sums (``balance_delta``,
``reserved_delta``); nothing is updated or deleted, so ``balance`` and ``reserved`` are always the sums of
the entries (:func:`ledger_sums`). The store's :class:`Wallet` row caches them: every writer locks it
``FOR UPDATE`` first and updates it in the same transaction as the entry, so writers for one store queue up
behind each other and never read a stale balance. ``available`` = ``balance`` − ``reserved`` and never goes
below zero (checked here, and by the table's CHECK constraint).

Kinds of line:

- ``top_up`` (+balance): money paid in (``reference`` names the payment);
- ``reservation`` (+reserved): money set aside under a key for work under way (a campaign);
- ``release`` (−reserved): what was left of a reservation, freed;
- ``charge`` (−balance; and −reserved for the part a reservation paid): a billable thing happened
  (``charge_kind`` ``sms``, ``journey_run`` or ``subscription``, with the price it used);
- ``refund`` (+balance): a charge given back (an SMS the provider refused);
- ``adjustment`` (±balance): a platform admin's correction.

Every write is idempotent on its key, unique per store: a repeat returns the first entry and changes
nothing — also when 20 callers race with the same key (the row lock makes the second wait and then see the
first's entry). Each function takes an optional ``connection`` to run inside the caller's transaction;
without one it opens its own.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Final
from uuid import UUID

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from domain.billing.errors import InsufficientFunds
from domain.billing.models import WalletEntry, WalletReservation
from domain.errors import DomainError, NotFound
from domain.text import identifier_problem

TOP_UP: Final = "top_up"
CHARGE: Final = "charge"
RESERVATION: Final = "reservation"
RELEASE: Final = "release"
REFUND: Final = "refund"
ADJUSTMENT: Final = "adjustment"
KINDS: Final = (TOP_UP, CHARGE, RESERVATION, RELEASE, REFUND, ADJUSTMENT)
"""Every kind of ledger line."""

SMS: Final = "sms"
JOURNEY_RUN: Final = "journey_run"
SUBSCRIPTION: Final = "subscription"
CHARGE_KINDS: Final = (SMS, JOURNEY_RUN, SUBSCRIPTION)
"""What a charge paid for."""

MAX_AMOUNT: Final = 10**15
"""The largest single amount (IRR) a line may carry: far above any real payment, far below BIGINT."""
MAX_KEY_LENGTH: Final = 200


@dataclass(frozen=True)
class WalletBalance:
    """A store's wallet at one moment, in IRR."""

    balance: int
    reserved: int
    available: int


@dataclass(frozen=True)
class ChargeItem:
    """One charge of a set-based :func:`charge_many`: its key, amount, and the price and units it used."""

    key: str
    amount: int
    quantity: int | None = None
    unit_price: int | None = None
    reference: str | None = None


@asynccontextmanager
async def unit_of_work(connection: BaseDBAsyncClient | None) -> AsyncIterator[BaseDBAsyncClient]:
    """The caller's connection (its transaction), or a transaction of our own when there is none."""
    if connection is not None:
        yield connection
        return
    async with in_transaction() as own:
        yield own


_LOCK = "SELECT balance, reserved FROM wallets WHERE tenant_id = $1 FOR UPDATE"
_OPEN = """
INSERT INTO wallets (id, tenant_id, balance, reserved, plan, updated_at)
SELECT gen_random_uuid(), t.id, 0, 0, 'pay_as_you_go', now() FROM tenants AS t WHERE t.id = $1
ON CONFLICT (tenant_id) DO NOTHING
"""


async def lock(connection: BaseDBAsyncClient, tenant_id: UUID) -> WalletBalance:
    """Lock the store's wallet row until the transaction ends (opening the wallet on first use) and read
    it. ``NOT_FOUND`` when there is no such store."""
    rows = await connection.execute_query_dict(_LOCK, [tenant_id])
    if not rows:
        await connection.execute_query(_OPEN, [tenant_id])
        rows = await connection.execute_query_dict(_LOCK, [tenant_id])
        if not rows:
            raise NotFound("Store", field="tenantId")
    return _sums(rows[0])


async def balance(tenant_id: UUID, *, connection: BaseDBAsyncClient | None = None) -> WalletBalance:
    """The store's balance, reserved and available amounts now (zero for a wallet never used).

    Inside a caller's transaction the wallet row is locked, so what is read stays true until it ends.
    """
    if connection is not None:
        return await lock(connection, tenant_id)
    rows = await connections.get("default").execute_query_dict(
        "SELECT balance, reserved FROM wallets WHERE tenant_id = $1", [tenant_id]
    )
    if not rows:
        return WalletBalance(balance=0, reserved=0, available=0)
    return _sums(rows[0])


async def top_up(
    tenant_id: UUID,
    *,
    amount: int,
    key: str,
    reference: str,
    connection: BaseDBAsyncClient | None = None,
) -> WalletEntry:
    """Credit ``amount`` IRR paid in through ``reference`` (e.g. ``zarinpal:<authority>``), once per key."""
    _check_amount(amount)
    _check_key(key)
    _check_text(reference, field="reference")
    async with unit_of_work(connection) as conn:
        await lock(conn, tenant_id)
        existing = await _existing(conn, tenant_id, key, kind=TOP_UP)
        if existing is not None:
            return existing
        return await _write(
            conn, tenant_id, kind=TOP_UP, amount=amount, key=key, balance_delta=amount, reference=reference
        )


async def adjust(
    tenant_id: UUID,
    *,
    amount: int,
    key: str,
    note: str,
    connection: BaseDBAsyncClient | None = None,
) -> WalletEntry:
    """A platform admin's correction: ``amount`` IRR added (> 0) or taken (< 0), once per key.

    Taking more than is available raises :class:`InsufficientFunds`.
    """
    if not isinstance(amount, int) or isinstance(amount, bool) or amount == 0 or abs(amount) > MAX_AMOUNT:
        raise DomainError(
            "INVALID_AMOUNT", f"An adjustment is a non-zero whole amount up to {MAX_AMOUNT}.", field="amount"
        )
    _check_key(key)
    _check_text(note, field="note")
    async with unit_of_work(connection) as conn:
        wallet = await lock(conn, tenant_id)
        existing = await _existing(conn, tenant_id, key, kind=ADJUSTMENT)
        if existing is not None:
            return existing
        if amount < 0 and wallet.available < -amount:
            raise InsufficientFunds(needed=-amount, available=wallet.available)
        return await _write(
            conn,
            tenant_id,
            kind=ADJUSTMENT,
            amount=abs(amount),
            key=key,
            balance_delta=amount,
            note=note[:255],
        )


async def reserve(
    tenant_id: UUID, *, amount: int, key: str, connection: BaseDBAsyncClient | None = None
) -> WalletEntry:
    """Set ``amount`` IRR of the available balance aside under ``key`` (charges may then consume it).

    Raises :class:`InsufficientFunds` when less than ``amount`` is available.
    """
    _check_amount(amount)
    _check_key(key)
    async with unit_of_work(connection) as conn:
        wallet = await lock(conn, tenant_id)
        existing = await _existing(conn, tenant_id, key, kind=RESERVATION)
        if existing is not None:
            return existing
        if wallet.available < amount:
            raise InsufficientFunds(needed=amount, available=wallet.available)
        await WalletReservation.create(
            tenant_id=tenant_id, key=key, amount=amount, remaining=amount, using_db=conn
        )
        return await _write(
            conn,
            tenant_id,
            kind=RESERVATION,
            amount=amount,
            key=key,
            reserved_delta=amount,
            reservation_key=key,
        )


async def release(
    tenant_id: UUID, *, key: str, connection: BaseDBAsyncClient | None = None
) -> WalletEntry | None:
    """Free what is left of the reservation made under ``key``; the release line (the first one, when
    repeated), or None when nothing was left to free (or there is no such reservation)."""
    _check_key(key)
    async with unit_of_work(connection) as conn:
        await lock(conn, tenant_id)
        release_key = f"release:{key}"
        existing = await _existing(conn, tenant_id, release_key, kind=RELEASE)
        if existing is not None:
            return existing
        reservation = await WalletReservation.filter(tenant_id=tenant_id, key=key).using_db(conn).first()
        if reservation is None or reservation.remaining == 0:
            return None
        left = reservation.remaining
        await _consume(conn, tenant_id, key, left)
        return await _write(
            conn,
            tenant_id,
            kind=RELEASE,
            amount=left,
            key=release_key,
            reserved_delta=-left,
            reservation_key=key,
        )


async def charge(
    tenant_id: UUID,
    *,
    amount: int,
    key: str,
    kind: str,
    reservation_key: str | None = None,
    unit_price: int | None = None,
    quantity: int | None = None,
    reference: str | None = None,
    connection: BaseDBAsyncClient | None = None,
) -> WalletEntry:
    """Charge ``amount`` IRR for a billable thing (``kind``: sms, journey_run, subscription), once per key.

    With a ``reservation_key`` what is left of that reservation pays first, then the available balance.
    ``unit_price`` and ``quantity`` record the price used, so a later tariff never re-prices it. Raises
    :class:`InsufficientFunds` when the two together cannot pay (nothing is written).
    """
    _check_amount(amount)
    _check_key(key)
    _check_kind(kind)
    if reservation_key is not None:
        _check_key(reservation_key, field="reservationKey")
    async with unit_of_work(connection) as conn:
        wallet = await lock(conn, tenant_id)
        existing = await _existing(conn, tenant_id, key, kind=CHARGE)
        if existing is not None:
            return existing
        reserved_left = await _reservation_left(conn, tenant_id, reservation_key)
        from_reservation = min(amount, reserved_left)
        if wallet.available < amount - from_reservation:
            raise InsufficientFunds(needed=amount - from_reservation, available=wallet.available)
        if from_reservation:
            assert reservation_key is not None
            await _consume(conn, tenant_id, reservation_key, from_reservation)
        return await _write(
            conn,
            tenant_id,
            kind=CHARGE,
            charge_kind=kind,
            amount=amount,
            key=key,
            balance_delta=-amount,
            reserved_delta=-from_reservation,
            reservation_key=reservation_key if from_reservation else None,
            unit_price=unit_price,
            quantity=quantity,
            reference=reference,
        )


# Joined on the keys rather than `= ANY(...)`: on a new store's ledger, not analysed yet, the planner
# would otherwise scan the store's rows instead of probing the unique (tenant_id, idempotency_key) index.
_CHARGED_KEYS = """
SELECT e.idempotency_key FROM unnest($2::text[]) AS k(key)
JOIN wallet_entries e ON e.tenant_id = $1::uuid AND e.idempotency_key = k.key
"""
_INSERT_MANY = """
INSERT INTO wallet_entries (id, tenant_id, kind, charge_kind, amount, balance_delta, reserved_delta,
  idempotency_key, reservation_key, reference, unit_price, quantity, note, created_at)
SELECT gen_random_uuid(), $1, 'charge', $2, i.amount, -i.amount, -i.from_reservation, i.key,
       CASE WHEN i.from_reservation > 0 THEN $3 END, i.reference, i.unit_price, i.quantity, '', now()
FROM unnest($4::text[], $5::int8[], $6::int8[], $7::int8[], $8::int4[], $9::text[])
     AS i (key, amount, from_reservation, unit_price, quantity, reference)
ON CONFLICT (tenant_id, idempotency_key) DO NOTHING
RETURNING amount, reserved_delta
"""


async def charge_many(
    connection: BaseDBAsyncClient,
    tenant_id: UUID,
    items: Sequence[ChargeItem],
    *,
    kind: str,
    reservation_key: str | None = None,
) -> int:
    """Charge every item not charged yet, all or nothing, in a handful of statements whatever their number.

    Runs in the caller's transaction. What is left of ``reservation_key`` pays first (item by item, in
    order), then the available balance. Returns the IRR charged by this call (0 when all were charged
    before). Raises :class:`InsufficientFunds` when the wallet cannot pay them all (nothing is written).
    """
    _check_kind(kind)
    if reservation_key is not None:
        _check_key(reservation_key, field="reservationKey")
    for item in items:
        _check_amount(item.amount)
        _check_key(item.key)
    if not items:
        return 0
    wallet = await lock(connection, tenant_id)
    charged = await written_keys(connection, tenant_id, [item.key for item in items])
    todo: list[ChargeItem] = []
    seen: set[str] = set()
    for item in items:
        if item.key not in charged and item.key not in seen:
            seen.add(item.key)
            todo.append(item)
    if not todo:
        return 0
    left = await _reservation_left(connection, tenant_id, reservation_key)
    from_reservation: list[int] = []
    for item in todo:
        part = min(item.amount, left)
        left -= part
        from_reservation.append(part)
    total = sum(item.amount for item in todo)
    consumed = sum(from_reservation)
    if wallet.available < total - consumed:
        raise InsufficientFunds(needed=total - consumed, available=wallet.available)
    rows = await connection.execute_query_dict(
        _INSERT_MANY,
        [
            tenant_id,
            kind,
            reservation_key,
            [item.key for item in todo],
            [item.amount for item in todo],
            from_reservation,
            [item.unit_price for item in todo],
            [item.quantity for item in todo],
            [item.reference for item in todo],
        ],
    )
    # The wallet row is locked, so no other writer could add one of these keys since they were read.
    assert len(rows) == len(todo), "a charge key appeared under the wallet lock"
    if consumed:
        assert reservation_key is not None
        await _consume(connection, tenant_id, reservation_key, consumed)
    await _move(connection, tenant_id, balance_delta=-total, reserved_delta=-consumed)
    return total


async def written_keys(connection: BaseDBAsyncClient, tenant_id: UUID, keys: Sequence[str]) -> set[str]:
    """Which of ``keys`` the store's ledger already has a line for (one statement)."""
    rows = await connection.execute_query_dict(_CHARGED_KEYS, [tenant_id, list(keys)])
    return {row["idempotency_key"] for row in rows}


async def refund(
    tenant_id: UUID, *, charge_key: str, connection: BaseDBAsyncClient | None = None
) -> WalletEntry | None:
    """Give back the charge made under ``charge_key`` to the balance, once; None when there is no such
    charge. (A reservation the charge consumed is not restored: the money returns to the available
    balance.)"""
    _check_key(charge_key, field="chargeKey")
    async with unit_of_work(connection) as conn:
        await lock(conn, tenant_id)
        key = f"refund:{charge_key}"
        existing = await _existing(conn, tenant_id, key, kind=REFUND)
        if existing is not None:
            return existing
        charged = (
            await WalletEntry.filter(tenant_id=tenant_id, idempotency_key=charge_key, kind=CHARGE)
            .using_db(conn)
            .first()
        )
        if charged is None:
            return None
        return await _write(
            conn,
            tenant_id,
            kind=REFUND,
            charge_kind=charged.charge_kind,
            amount=charged.amount,
            key=key,
            balance_delta=charged.amount,
            reference=charge_key,
        )


_SUMS = """
SELECT coalesce(sum(balance_delta), 0) AS balance, coalesce(sum(reserved_delta), 0) AS reserved
FROM wallet_entries WHERE tenant_id = $1
"""


async def ledger_sums(tenant_id: UUID, *, connection: BaseDBAsyncClient | None = None) -> WalletBalance:
    """The wallet's sums recomputed from the ledger alone (not the cached row): what an audit compares."""
    conn = connection or connections.get("default")
    [row] = await conn.execute_query_dict(_SUMS, [tenant_id])
    return _sums(row)


def _sums(row: Mapping[str, Any]) -> WalletBalance:
    """A row's ``balance`` and ``reserved``, and the available amount they leave."""
    amount, reserved = int(row["balance"]), int(row["reserved"])
    return WalletBalance(balance=amount, reserved=reserved, available=amount - reserved)


async def _existing(conn: BaseDBAsyncClient, tenant_id: UUID, key: str, *, kind: str) -> WalletEntry | None:
    entry = await WalletEntry.filter(tenant_id=tenant_id, idempotency_key=key).using_db(conn).first()
    if entry is not None and entry.kind != kind:
        raise DomainError(
            "KEY_REUSED", f"The key {key!r} was already used for a {entry.kind} line.", field="key"
        )
    return entry


async def _write(
    conn: BaseDBAsyncClient,
    tenant_id: UUID,
    *,
    kind: str,
    amount: int,
    key: str,
    balance_delta: int = 0,
    reserved_delta: int = 0,
    **details: Any,
) -> WalletEntry:
    """Append one line and move the cached sums by what it did (the wallet row is locked)."""
    entry = await WalletEntry.create(
        tenant_id=tenant_id,
        kind=kind,
        amount=amount,
        idempotency_key=key,
        balance_delta=balance_delta,
        reserved_delta=reserved_delta,
        using_db=conn,
        **details,
    )
    await _move(conn, tenant_id, balance_delta=balance_delta, reserved_delta=reserved_delta)
    return entry


async def _move(conn: BaseDBAsyncClient, tenant_id: UUID, *, balance_delta: int, reserved_delta: int) -> None:
    await conn.execute_query(
        "UPDATE wallets SET balance = balance + $2::int8, reserved = reserved + $3::int8, updated_at = now()"
        " WHERE tenant_id = $1",
        [tenant_id, balance_delta, reserved_delta],
    )


async def _reservation_left(conn: BaseDBAsyncClient, tenant_id: UUID, key: str | None) -> int:
    if key is None:
        return 0
    rows = await conn.execute_query_dict(
        "SELECT remaining FROM wallet_reservations WHERE tenant_id = $1 AND key = $2", [tenant_id, key]
    )
    return int(rows[0]["remaining"]) if rows else 0


async def _consume(conn: BaseDBAsyncClient, tenant_id: UUID, key: str, amount: int) -> None:
    await conn.execute_query(
        "UPDATE wallet_reservations SET remaining = remaining - $3::int8, updated_at = now()"
        " WHERE tenant_id = $1 AND key = $2",
        [tenant_id, key, amount],
    )


def _check_amount(amount: int) -> None:
    if not isinstance(amount, int) or isinstance(amount, bool) or not 0 < amount <= MAX_AMOUNT:
        raise DomainError(
            "INVALID_AMOUNT", f"An amount is a whole number of IRR from 1 to {MAX_AMOUNT}.", field="amount"
        )


def _check_key(key: str, *, field: str = "key") -> None:
    if not isinstance(key, str) or not key or len(key) > MAX_KEY_LENGTH:
        raise DomainError("INVALID_KEY", f"A key is 1 to {MAX_KEY_LENGTH} characters.", field=field)
    _check_text(key, field=field)


def _check_text(text: str, *, field: str) -> None:
    if not isinstance(text, str) or len(text) > MAX_KEY_LENGTH:
        raise DomainError("INVALID_TEXT", f"At most {MAX_KEY_LENGTH} characters.", field=field)
    problem = identifier_problem(text)
    if problem is not None:
        raise DomainError("INVALID_TEXT", problem, field=field)


def _check_kind(kind: str) -> None:
    if kind not in CHARGE_KINDS:
        raise DomainError("INVALID_KIND", f"{kind!r} is not a kind of charge.", field="kind")
