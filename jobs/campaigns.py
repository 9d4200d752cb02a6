"""The campaign scheduler: launches the scheduled campaigns whose time came.

A cron every few seconds reads the due campaigns (one indexed statement: cheap when none is due) and
launches each in its own transaction (:func:`domain.campaigns.launch.launch`), then wakes dispatch for
its store. Time is a row: a campaign is due while it is ``scheduled`` with ``scheduled_at`` passed, so
a worker that died mid-pass, or a pass that ran twice, launches nothing twice (launch is idempotent
under the campaign row's lock) and misses nothing (the next pass finds it).

A campaign the wallet cannot pay for at its time goes ``paused`` with ``insufficient_funds`` and the
store is put on hold, which tells the owner; a top-up schedules it again and the next pass launches it.
A campaign that can no longer launch for another reason (its coupon template archived or expired
since) is paused with ``launch_refused``, so it is not retried every few seconds; the owner fixes or
cancels it.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any, Final
from uuid import UUID

from arq.connections import ArqRedis
from arq.cron import CronJob, cron
from tortoise.transactions import in_transaction

from domain.billing import holds, wallet
from domain.billing.errors import InsufficientFunds
from domain.campaigns import launch, lifecycle
from domain.campaigns.models import Campaign
from domain.errors import DomainError
from domain.tenancy.models import Tenant
from jobs.campaign_dispatch import enqueue_dispatch

logger = logging.getLogger("revisit.campaigns")

SCHEDULER_SECONDS: Final = frozenset(range(0, 60, 5))
DUE_BATCH: Final = 50
"""Campaigns launched by one pass; the rest wait for the next, seconds later."""
LAUNCH_REFUSED: Final = "launch_refused"


async def launch_due_campaigns(ctx: dict[str, Any]) -> int:
    """Cron: launch every scheduled campaign whose time came; returns how many were taken."""
    now = datetime.now(UTC)
    due = (
        await Campaign.filter(status=lifecycle.SCHEDULED, scheduled_at__lte=now)
        .order_by("scheduled_at", "id")
        .limit(DUE_BATCH)
        .values_list("tenant_id", "id")
    )
    for tenant_id, campaign_id in due:
        await launch_scheduled(ctx["redis"], UUID(str(tenant_id)), UUID(str(campaign_id)), now=now)
    return len(due)


async def launch_scheduled(queue: ArqRedis, tenant_id: UUID, campaign_id: UUID, *, now: datetime) -> str:
    """Launch one due campaign and wake dispatch; what happened, for the job's log."""
    try:
        campaign = await launch.launch(tenant_id=tenant_id, campaign_id=campaign_id, now=now)
    except InsufficientFunds as short:
        await lifecycle.pause_for_funds(tenant_id, campaign_id)
        await _hold(tenant_id, needed=short.needed, now=now)
        logger.info("campaign %s paused at launch: the wallet cannot pay %s IRR", campaign_id, short.needed)
        return "insufficient funds"
    except DomainError as refused:
        await Campaign.filter(tenant_id=tenant_id, id=campaign_id, status=lifecycle.SCHEDULED).update(
            status=lifecycle.PAUSED, pause_reason=LAUNCH_REFUSED, paused_at=now
        )
        logger.warning("campaign %s could not launch: %s (%s)", campaign_id, refused.message, refused.code)
        return f"refused: {refused.code}"
    if campaign.status == lifecycle.SENDING:
        await enqueue_dispatch(queue, tenant_id)
    return campaign.status


async def _hold(tenant_id: UUID, *, needed: int, now: datetime) -> None:
    """Put the store on hold as a refused charge does: the owner is told, a top-up lifts it."""
    tenant = await Tenant.get(id=tenant_id)
    async with in_transaction() as connection:
        await wallet.lock(connection, tenant_id)
        await holds.put_on_hold(connection, tenant, needed=needed, now=now)


CAMPAIGN_CRON: list[CronJob] = [
    cron(launch_due_campaigns, second=set(SCHEDULER_SECONDS), unique=True, run_at_startup=True),
]
