"""Credit jobs: the daily expiry pass of every store, in its own timezone.

A cron every 15 minutes lists the stores holding credit that has passed its expiry and enqueues one
job per store for the store's local day (job id ``credit-expiry:<tenant>:<day>``). That job's result
is kept two days, so the id stands for the day: the pass runs once, in the first quarter hour after
the store's midnight. Losing Redis only means a pass may run again, which writes nothing more
(each grant expires once, by its key; see :mod:`domain.incentives.expiry`).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any, Final
from uuid import UUID

from arq import func
from arq.cron import CronJob, cron
from tortoise import Tortoise

from domain.incentives import expiry
from domain.tenancy.models import Tenant

KEEP_DAY: Final = int(timedelta(days=2).total_seconds())
"""How long an expiry job's result (and so its job id) is kept: the id then means "done for the day"."""

_STORES_WITH_DUE_CREDIT = f"""
SELECT t.id, t.timezone FROM tenants AS t
WHERE EXISTS (SELECT 1 FROM credit_entries AS g
              WHERE g.tenant_id = t.id AND g.expires_at IS NOT NULL AND g.amount > 0 AND g.expires_at < $1
                AND g.kind = ANY('{{{",".join(expiry.ALLOCATED_KINDS)}}}'::text[]))
ORDER BY t.id
"""


def expiry_job_id(tenant_id: UUID | str, day: date) -> str:
    return f"credit-expiry:{tenant_id}:{day.isoformat()}"


async def plan_credit_expiry(ctx: dict[str, Any]) -> int:
    """Cron: enqueue today's expiry pass of every store with credit past its expiry. Returns how many."""
    now = datetime.now(UTC)
    rows = await Tortoise.get_connection("default").execute_query_dict(_STORES_WITH_DUE_CREDIT, [now])
    for row in rows:
        day = expiry.local_day(now, row["timezone"])
        await ctx["redis"].enqueue_job(
            "expire_tenant_credit", str(row["id"]), day.isoformat(), _job_id=expiry_job_id(row["id"], day)
        )
    return len(rows)


async def expire_tenant_credit(ctx: dict[str, Any], tenant_id: str, day: str) -> str:
    """One store's expiry pass for its local ``day``."""
    tenant = await Tenant.get(id=UUID(tenant_id))
    done = await expiry.expire_due(tenant_id=tenant.id, day=date.fromisoformat(day), timezone=tenant.timezone)
    return f"{done.grants} grants expired, {done.amount} taken from {done.customers} customers"


CREDIT_FUNCTIONS = [func(expire_tenant_credit, keep_result=KEEP_DAY, max_tries=5)]
CREDIT_CRON: list[CronJob] = [
    cron(plan_credit_expiry, minute={1, 16, 31, 46}, second=15, unique=True, run_at_startup=True),
]
