"""Billing jobs: resume a store after funds are added, renew annual plans, warn of low balances.

- ``billing_funds_added`` (one store; the API's wake-up after a top-up, and the cron's for every store on
  hold): lifts the hold when the wallet now pays (:func:`domain.billing.holds.funds_added`), then resumes
  what waited — campaigns paused for funds (and wakes their dispatch), the store's journeys (a poller
  wake-up) and its queued messages (a delivery each). Safe to repeat: each of those is idempotent.
- ``billing_minute`` (cron, every minute): one ``billing_funds_added`` per store on hold or with a
  campaign paused for funds, one ``billing_renew`` per annual store whose period ended, and the
  low-balance sweep (one statement for every store), so nothing depends on a wake-up alone.
- ``billing_renew`` (one store): renews its ended annual period from the wallet, once.

Job ids only save work: ``funds:<tenant>:<unix second>``, ``renew:<tenant>:<unix minute>``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Final
from uuid import UUID

from arq.connections import ArqRedis
from arq.cron import CronJob, cron
from tortoise.expressions import Q

from domain.billing import holds, plans
from domain.campaigns import lifecycle
from domain.campaigns.models import Campaign
from domain.messaging.models import OutboundMessage
from jobs.automation import wake
from jobs.campaign_dispatch import enqueue_dispatch
from jobs.messaging import enqueue_deliveries

RESUME_BATCH: Final = 1000
"""Queued messages woken per resume (the messaging reconciler finds the rest)."""


def _minute(now: datetime) -> int:
    return int(now.timestamp()) // 60


async def enqueue_funds_added(queue: ArqRedis, tenant_id: UUID) -> None:
    """Wake a worker to resume the store after a top-up. Call after the top-up's transaction commits."""
    now = datetime.now(UTC)
    await queue.enqueue_job(
        "billing_funds_added", str(tenant_id), _job_id=f"funds:{tenant_id}:{int(now.timestamp())}"
    )


async def billing_funds_added(ctx: dict[str, Any], tenant_id: str) -> str:
    """Lift the store's hold if the wallet now pays, and resume what waited for funds."""
    store = UUID(tenant_id)
    now = datetime.now(UTC)
    await holds.funds_added(store, now=now)
    if await holds.on_hold(store) is not None:
        return "on hold"
    resumed = await lifecycle.resume_paused_for_funds(store)
    if resumed:
        await enqueue_dispatch(ctx["redis"], store)
    await wake(ctx["redis"], store, [now])
    messages = await (
        OutboundMessage.filter(tenant_id=store, status="queued", campaign_id=None)
        .filter(Q(send_after__isnull=True) | Q(send_after__lte=now))
        .order_by("created_at")
        .limit(RESUME_BATCH)
        .values_list("id", flat=True)
    )
    await enqueue_deliveries(ctx["redis"], (UUID(str(message_id)) for message_id in messages))
    return f"resumed {len(resumed)} campaigns, {len(messages)} messages"


async def billing_renew(ctx: dict[str, Any], tenant_id: str) -> str:
    """Renew the store's ended annual period from the wallet (once)."""
    renewed = await plans.renew(UUID(tenant_id), now=datetime.now(UTC))
    return {True: "renewed", False: "lapsed", None: "nothing due"}[renewed]


async def billing_minute(ctx: dict[str, Any]) -> int:
    """Cron: fan out the resumes and renewals due, and sweep low balances. Returns the jobs enqueued."""
    now = datetime.now(UTC)
    minute = _minute(now)
    waiting = set(await holds.held_stores())
    paused = (
        await Campaign.filter(status="paused", pause_reason="insufficient_funds")
        .distinct()
        .values_list("tenant_id", flat=True)
    )
    waiting |= {UUID(str(tenant_id)) for tenant_id in paused}
    for tenant_id in sorted(waiting):
        await ctx["redis"].enqueue_job(
            "billing_funds_added", str(tenant_id), _job_id=f"funds:{tenant_id}:{minute}"
        )
    renewals = await plans.renewals_due(now=now)
    for tenant_id in renewals:
        await ctx["redis"].enqueue_job("billing_renew", str(tenant_id), _job_id=f"renew:{tenant_id}:{minute}")
    await holds.check_low_balance(None, now=now)
    return len(waiting) + len(renewals)


BILLING_FUNCTIONS = [billing_funds_added, billing_renew]
BILLING_CRON: list[CronJob] = [
    cron(billing_minute, second={20}, unique=True, run_at_startup=True, timeout=timedelta(seconds=50)),
]
