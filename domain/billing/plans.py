"""Plans: pay as you go (a price per journey run started and per SMS part) or annual (a yearly fee).

The annual fee is charged from the wallet when the store subscribes (period: that moment to the same
moment a year later) and again, automatically and once, when the period ends (the minute cron's
:func:`renew_due`; key ``subscription:renewal:<period start>``, so a renewal is charged once however
often the cron runs). A paid period covers every journey run started inside it; SMS parts are always
charged.

When the renewal cannot be paid the plan lapses: the store is back on pay as you go from the end of its
period (runs are charged one by one, and held if the wallet cannot pay those), the owner is told once,
and may subscribe again at any time. Switching to pay as you go stops renewal; the period already paid
still covers its runs until it ends (nothing is refunded).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final
from uuid import UUID

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from domain.billing import notices, wallet
from domain.billing.errors import InsufficientFunds
from domain.billing.models import PlanPeriod
from domain.billing.tariffs import tenant_tariff
from domain.errors import DomainError
from domain.tenancy.models import Tenant
from domain.text import identifier_problem

PAY_AS_YOU_GO: Final = "pay_as_you_go"
ANNUAL: Final = "annual"
PLANS: Final = (PAY_AS_YOU_GO, ANNUAL)
MAX_CLIENT_KEY: Final = 100


@dataclass(frozen=True)
class PlanState:
    """A store's plan now, and the paid annual period that covers now (if any)."""

    plan: str
    period_starts_at: datetime | None
    period_ends_at: datetime | None
    renews: bool
    """Whether the period is renewed from the wallet when it ends (annual plan)."""


def year_after(moment: datetime) -> datetime:
    """The same wall moment a year later (29 February becomes 28 February)."""
    try:
        return moment.replace(year=moment.year + 1)
    except ValueError:
        return moment.replace(year=moment.year + 1, day=28)


async def covering_period(
    tenant_id: UUID, *, at: datetime, connection: BaseDBAsyncClient | None = None
) -> PlanPeriod | None:
    """The paid period that covers ``at``, if any."""
    query = PlanPeriod.filter(tenant_id=tenant_id, starts_at__lte=at, ends_at__gt=at).order_by("-starts_at")
    return await (query.using_db(connection) if connection else query).first()


async def plan_state(tenant_id: UUID, *, now: datetime | None = None) -> PlanState:
    """The store's plan and its current period."""
    moment = now or datetime.now(UTC)
    rows = await connections.get("default").execute_query_dict(
        "SELECT plan FROM wallets WHERE tenant_id = $1", [tenant_id]
    )
    plan = rows[0]["plan"] if rows else PAY_AS_YOU_GO
    period = await covering_period(tenant_id, at=moment)
    return PlanState(
        plan=plan,
        period_starts_at=period.starts_at if period else None,
        period_ends_at=period.ends_at if period else None,
        renews=plan == ANNUAL,
    )


async def subscribe(*, tenant_id: UUID, plan: str, client_key: str, now: datetime | None = None) -> PlanState:
    """Put the store on ``plan``. Annual: the fee in effect now is charged from the wallet (once per
    ``client_key``; a store already in a paid period is not charged again) and a year's period starts;
    :class:`InsufficientFunds` when the wallet cannot pay (nothing changes). Pay as you go: renewal
    stops; a paid period still covers its runs until it ends."""
    if plan not in PLANS:
        raise DomainError("INVALID_PLAN", f"A plan is one of {', '.join(PLANS)}.", field="plan")
    _check_client_key(client_key)
    moment = now or datetime.now(UTC)
    async with in_transaction() as connection:
        await wallet.lock(connection, tenant_id)
        if plan == ANNUAL and await covering_period(tenant_id, at=moment, connection=connection) is None:
            fee = (await tenant_tariff(tenant_id, at=moment, connection=connection)).annual_fee
            key = f"subscription:client:{client_key}"
            await _start_period(connection, tenant_id, starts_at=moment, fee=fee, key=key)
        await connection.execute_query(
            "UPDATE wallets SET plan = $2, updated_at = now() WHERE tenant_id = $1", [tenant_id, plan]
        )
    return await plan_state(tenant_id, now=moment)


async def _start_period(
    connection: BaseDBAsyncClient, tenant_id: UUID, *, starts_at: datetime, fee: int, key: str
) -> PlanPeriod:
    existing = await PlanPeriod.filter(tenant_id=tenant_id, charge_key=key).using_db(connection).first()
    if existing is not None:
        return existing
    if fee > 0:
        await wallet.charge(
            tenant_id,
            amount=fee,
            key=key,
            kind=wallet.SUBSCRIPTION,
            unit_price=fee,
            quantity=1,
            connection=connection,
        )
    return await PlanPeriod.create(
        tenant_id=tenant_id,
        plan=ANNUAL,
        starts_at=starts_at,
        ends_at=year_after(starts_at),
        fee=fee,
        charge_key=key,
        using_db=connection,
    )


_DUE = """
SELECT w.tenant_id, max(p.ends_at) AS ends_at FROM wallets AS w
JOIN plan_periods AS p ON p.tenant_id = w.tenant_id
WHERE w.plan = 'annual'
GROUP BY w.tenant_id
HAVING max(p.ends_at) <= $1
LIMIT $2
"""


async def renewals_due(*, now: datetime, limit: int = 10_000) -> list[UUID]:
    """The annual stores whose last paid period has ended."""
    rows = await connections.get("default").execute_query_dict(_DUE, [now, limit])
    return [row["tenant_id"] for row in rows]


async def renew(tenant_id: UUID, *, now: datetime | None = None) -> bool | None:
    """Renew the store's ended annual period from the wallet, once: True when renewed, False when the
    wallet could not pay (the plan lapsed to pay as you go and the owner was told), None when nothing was
    due. Successive ended periods are renewed back to back, so a period always starts where the last one
    ended."""
    moment = now or datetime.now(UTC)
    async with in_transaction() as connection:
        await wallet.lock(connection, tenant_id)
        rows = await connection.execute_query_dict(
            "SELECT w.plan, (SELECT max(p.ends_at) FROM plan_periods AS p WHERE p.tenant_id = w.tenant_id)"
            " AS ends_at FROM wallets AS w WHERE w.tenant_id = $1",
            [tenant_id],
        )
        if not rows or rows[0]["plan"] != ANNUAL or rows[0]["ends_at"] is None or rows[0]["ends_at"] > moment:
            return None
        starts_at: datetime = rows[0]["ends_at"]
        fee = (await tenant_tariff(tenant_id, at=starts_at, connection=connection)).annual_fee
        try:  # the charge refuses before it writes anything
            await _start_period(
                connection,
                tenant_id,
                starts_at=starts_at,
                fee=fee,
                key=f"subscription:renewal:{starts_at.isoformat()}",
            )
        except InsufficientFunds:
            await connection.execute_query(
                "UPDATE wallets SET plan = $2, updated_at = now() WHERE tenant_id = $1",
                [tenant_id, PAY_AS_YOU_GO],
            )
            tenant = await Tenant.filter(id=tenant_id).using_db(connection).get()
            await notices.notify_owner(tenant, "plan_lapsed", at=starts_at, now=moment)
            return False
    return True


def _check_client_key(client_key: str) -> None:
    if not isinstance(client_key, str) or not client_key or len(client_key) > MAX_CLIENT_KEY:
        raise DomainError("INVALID_KEY", f"clientKey is 1 to {MAX_CLIENT_KEY} characters.", field="clientKey")
    problem = identifier_problem(client_key)
    if problem is not None:
        raise DomainError("INVALID_KEY", problem, field="clientKey")
