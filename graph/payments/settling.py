"""Settling a top-up from the API: verify with the gateway and credit once, then tell billing and the worker.

Shared by the gateways' callbacks (REST) and the owner's ``checkTopUp`` (GraphQL). A top-up already
settled answers from one read. After a credit commits, the store's hold is lifted
(``domain.billing.holds.funds_added``) and the worker woken (``wakeups.funds_added``); the billing cron does
both every minute too, so neither failing fails the caller or loses anything.
"""

from __future__ import annotations

import logging
from uuid import UUID

from tortoise.transactions import in_transaction

from domain.billing import holds
from domain.payments import topups
from graph.core.context import Wakeups

logger = logging.getLogger("revisit.payments")


async def settle_top_up(
    top_up_id: UUID,
    *,
    gateways: topups.Gateways,
    wakeups: Wakeups,
    authority: str | None = None,
    tenant_id: UUID | None = None,
    gave_up: bool = False,
    patient: bool = False,
) -> topups.Settlement:
    """:func:`domain.payments.topups.settle` in a transaction of its own, and the wake-ups after a credit."""
    settled = await topups.already_settled(top_up_id=top_up_id, authority=authority, tenant_id=tenant_id)
    if settled is not None:
        return topups.Settlement(settled)
    async with in_transaction() as connection:
        settlement = await topups.settle(
            connection,
            top_up_id=top_up_id,
            gateways=gateways,
            authority=authority,
            tenant_id=tenant_id,
            gave_up=gave_up,
            patient=patient,
        )
    if settlement.credited:
        await funds_arrived(settlement.top_up.tenant_id, wakeups)
    return settlement


async def funds_arrived(tenant_id: UUID, wakeups: Wakeups) -> None:
    """Lift the store's hold and wake the worker, once the credit is committed; never fails the caller."""
    try:
        await holds.funds_added(tenant_id)
    except Exception:  # the billing cron lifts it within a minute
        logger.exception("lifting the hold of %s after a top-up failed", tenant_id)
    try:
        await wakeups.funds_added(tenant_id)
    except Exception:  # the billing cron resumes held work within a minute
        logger.exception("waking the worker for %s after a top-up failed", tenant_id)
