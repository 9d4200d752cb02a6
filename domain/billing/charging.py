"""Charging when the billable thing happens, exactly once, at the price of that moment.

- **An SMS** is charged when it is handed to the provider: inside the delivery's (or the dispatch chunk's)
  claim transaction, before any provider call — key ``sms:<message_id>``, its parts × the store's part
  price now (through that provider, when the tariff prices it apart). A message sent again after a lost
  answer is not charged again; one the provider refuses for good is refunded (:func:`refund_message`).
  Owner notices (origin ``billing:…``) are never charged.
- **A journey run** is charged when it starts (before its first step): key ``run:<run_id>``, the store's
  run price now, on pay as you go only — a paid annual period covers the runs started inside it.

A charge the wallet cannot pay writes nothing, puts the store on hold and tells the owner
(:mod:`domain.billing.holds`); the caller leaves the message queued, or the run due.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from uuid import UUID

from tortoise.backends.base.client import BaseDBAsyncClient

from domain.billing import holds, plans, wallet
from domain.billing.errors import InsufficientFunds
from domain.billing.tariffs import tenant_tariff
from domain.tenancy.models import Tenant


def message_key(message_id: UUID) -> str:
    """The wallet key of an SMS's charge."""
    return f"sms:{message_id}"


def run_key(run_id: UUID) -> str:
    """The wallet key of a journey run's charge."""
    return f"run:{run_id}"


async def charge_messages(
    connection: BaseDBAsyncClient,
    tenant: Tenant,
    messages: Sequence[tuple[UUID, int]],
    *,
    reservation_key: str | None = None,
    provider: str | None = None,
    now: datetime | None = None,
) -> bool:
    """Charge each ``(message_id, parts)`` not charged yet at the store's part price now, all or nothing,
    set-based (a handful of statements for a chunk of any size), in the caller's transaction. With a
    ``reservation_key`` that reservation pays first.

    True when they are paid (or were before); False when the wallet cannot pay them — then nothing was
    charged, and the store is on hold and its owner told.
    """
    moment = now or datetime.now(UTC)
    price = (await tenant_tariff(tenant.id, at=moment, connection=connection)).part_price(provider)
    if price == 0 or not messages:
        return True
    items = [
        wallet.ChargeItem(key=message_key(message_id), amount=parts * price, quantity=parts, unit_price=price)
        for message_id, parts in messages
        if parts > 0
    ]
    try:
        charged = await wallet.charge_many(
            connection, tenant.id, items, kind=wallet.SMS, reservation_key=reservation_key
        )
    except InsufficientFunds as refused:
        await holds.put_on_hold(connection, tenant, needed=refused.needed, now=moment)
        return False
    if charged:
        await holds.check_low_balance([tenant.id], now=moment, connection=connection)
    return True


async def refund_message(connection: BaseDBAsyncClient, tenant_id: UUID, message_id: UUID) -> None:
    """Give back the charge of an SMS the provider refused for good (nothing when it was never charged)."""
    await wallet.refund(tenant_id, charge_key=message_key(message_id), connection=connection)


async def charge_runs(
    connection: BaseDBAsyncClient, tenant: Tenant, run_ids: Sequence[UUID], *, now: datetime
) -> set[UUID]:
    """Charge the start of each run not charged yet (pay as you go), set-based, in the caller's transaction;
    the runs that may start — paid now or before, covered by a paid annual period, or free.

    When the wallet cannot pay them all, the first ones it can pay are charged and the rest wait (the store
    goes on hold, its owner told).
    """
    if not run_ids:
        return set()
    if await plans.covering_period(tenant.id, at=now, connection=connection) is not None:
        return set(run_ids)
    price = (await tenant_tariff(tenant.id, at=now, connection=connection)).journey_run_price
    if price == 0:
        return set(run_ids)
    available = (await wallet.lock(connection, tenant.id)).available
    new_ids = await _uncharged(connection, tenant.id, run_ids)
    affordable = min(len(new_ids), available // price)
    if affordable:
        items = [
            wallet.ChargeItem(key=run_key(run_id), amount=price, quantity=1, unit_price=price)
            for run_id in new_ids[:affordable]
        ]
        await wallet.charge_many(connection, tenant.id, items, kind=wallet.JOURNEY_RUN)
        await holds.check_low_balance([tenant.id], now=now, connection=connection)
    waiting = set(new_ids[affordable:])
    if waiting:
        await holds.put_on_hold(connection, tenant, needed=price, now=now)
    return set(run_ids) - waiting


async def _uncharged(connection: BaseDBAsyncClient, tenant_id: UUID, run_ids: Sequence[UUID]) -> list[UUID]:
    """The runs (in order) whose start has no charge yet."""
    charged = await wallet.written_keys(connection, tenant_id, [run_key(run_id) for run_id in run_ids])
    return [run_id for run_id in run_ids if run_key(run_id) not in charged]
