"""Campaign dispatch jobs: one per store at a time, each working a few seconds, handing over to the next.

- ``dispatch_campaigns(tenant_id)``: takes the store's dispatch lease — a Redis key with a short expiry,
  kept alive by a heartbeat while the job runs — or ends at once when another job holds it. So however
  many wake-ups, crons and retries run, one dispatch per store sends, and it holds one worker slot. It
  sends for at most :data:`~domain.campaigns.dispatch.TIME_BUDGET` (:func:`domain.campaigns.dispatch.
  dispatch_store`), gives the lease back and enqueues its continuation at the back of the queue, so the
  other stores' jobs run in between. A worker killed mid-chunk stops the heartbeat: the lease expires
  within :data:`LEASE` and the next job looks up the chunk it left (an unknown outcome).
- ``dispatch_sending_stores`` (cron, every few seconds): a dispatch job for every store with a sending
  campaign — a lost wake-up, a killed worker's job or a flushed Redis loses nothing, it is only later.
  A store whose campaigns wait for a moment (quiet hours, their window, an SMS account to retry) rests
  until then: its dispatch is deferred to that moment, and the cron leaves it alone meanwhile (a Redis
  key that expires at the moment, so a flushed Redis only brings the cron's check back).
- :func:`enqueue_dispatch`: the wake-up campaigns calls after a launch or a resume; it ends a rest.

After each chunk the job publishes live notices: the campaign's channel, and the store's monitor with the
messages it sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import UTC, datetime, timedelta
from typing import Any, Final
from uuid import UUID, uuid4

from arq.connections import ArqRedis
from arq.cron import CronJob, cron
from arq.worker import func
from redis.asyncio import Redis

from domain.campaigns.dispatch import ChunkResult, dispatch_store
from domain.campaigns.dispatch_claims import stores_sending
from domain.messaging.accounts import AccountUnusable, Route
from domain.tenancy.models import Tenant
from jobs.messaging import directory_of
from revisit import live

logger = logging.getLogger("revisit.campaigns")

LEASE: Final = timedelta(seconds=5)
"""How long a store's dispatch lease outlives its last heartbeat (a killed worker's store waits this long)."""
HEARTBEAT: Final = timedelta(seconds=1)
ACCOUNT_RETRY: Final = timedelta(minutes=1)
CRON_SECONDS: Final = frozenset(range(0, 60, 3))
LEASE_PREFIX: Final = "revisit:campaign-dispatch:"
REST_PREFIX: Final = "revisit:campaign-dispatch-rest:"

_RENEW: Final = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end
return 0
"""
_RELEASE: Final = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""


class DispatchLease:
    """The right to dispatch one store's campaigns, held while a heartbeat renews it."""

    def __init__(self, redis: Redis, tenant_id: UUID) -> None:
        self.redis, self.key, self.token = redis, f"{LEASE_PREFIX}{tenant_id}", uuid4().hex
        self._held = False
        self._beat: asyncio.Task[None] | None = None

    @property
    def held(self) -> bool:
        """Whether the lease is still this job's (False once a renewal failed: stop before the next chunk)."""
        return self._held

    async def acquire(self) -> bool:
        """Take the lease if nobody holds it, and start the heartbeat."""
        taken = await self.redis.set(self.key, self.token, nx=True, px=_ms(LEASE))
        self._held = bool(taken)
        if self._held:
            self._beat = asyncio.create_task(self._renew())
        return self._held

    async def release(self) -> None:
        """Stop the heartbeat and give the lease back (only if it is still this job's)."""
        if self._beat is not None:
            self._beat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._beat
        if self._held:
            self._held = False
            with contextlib.suppress(Exception):
                await self.redis.eval(_RELEASE, 1, self.key, self.token)  # type: ignore[misc]

    async def _renew(self) -> None:
        while self._held:
            await asyncio.sleep(HEARTBEAT.total_seconds())
            try:
                renewed = await self.redis.eval(_RENEW, 1, self.key, self.token, str(_ms(LEASE)))  # type: ignore[misc]
            except Exception as exc:  # Redis unreachable: the lease may expire; stop at the next chunk
                logger.warning("dispatch lease %s not renewed: %s", self.key, type(exc).__name__)
                renewed = 0
            if not renewed:
                self._held = False


def dispatch_job_id(tenant_id: UUID | str, kind: str, at: float | None = None) -> str:
    """A job id per store, kind and moment: wake-ups in one second share one job."""
    return f"dispatch:{tenant_id}:{kind}:{int(time.time() if at is None else at)}"


async def enqueue_dispatch(queue: ArqRedis, tenant_id: UUID) -> None:
    """Wake the store's dispatch (a launch, a resume). One job per store sends at a time: its fair share."""
    await queue.delete(REST_PREFIX + str(tenant_id))
    await queue.enqueue_job("dispatch_campaigns", str(tenant_id), _job_id=dispatch_job_id(tenant_id, "wake"))


async def dispatch_campaigns(ctx: dict[str, Any], tenant_id: str) -> str:
    """Send the store's sending campaigns for a few seconds, then hand over (see the module docstring)."""
    store = UUID(tenant_id)
    redis: ArqRedis = ctx["redis"]
    lease = DispatchLease(redis, store)
    if not await lease.acquire():
        return "busy"
    directory = directory_of(ctx)

    async def route_of(tenant: Tenant) -> Route:
        return await directory.route(tenant.id, fallback_sender=tenant.sender_line)

    async def on_chunk(result: ChunkResult) -> None:
        if result.state in ("idle", "closed"):  # nothing changed
            return
        await live.publish(redis, live.campaign_channel(store, result.campaign_id))
        if result.sent:
            await live.publish(redis, live.monitor_channel(store), {"messages_sent": result.sent})

    try:
        outcome = await dispatch_store(
            tenant_id=store, route_of=route_of, on_chunk=on_chunk, still_leased=lambda: lease.held
        )
    except AccountUnusable:
        logger.warning("store %s: its SMS account cannot be used; campaigns wait", store)
        await _later(redis, store, datetime.now(UTC) + ACCOUNT_RETRY)
        return "account unusable"
    finally:
        await lease.release()
    if outcome.more:
        await redis.enqueue_job(
            "dispatch_campaigns", tenant_id, _job_id=f"dispatch:{store}:next:{time.time_ns()}"
        )
    elif outcome.due_at is not None:
        await _later(redis, store, outcome.due_at)
    return f"{outcome.sent} sent in {outcome.chunks} chunks"


async def _later(redis: ArqRedis, tenant_id: UUID, at: datetime) -> None:
    """Dispatch the store again at ``at``, and let it rest until then (see the module docstring)."""
    await redis.enqueue_job(
        "dispatch_campaigns",
        str(tenant_id),
        _job_id=dispatch_job_id(tenant_id, "at", at.timestamp()),
        _defer_until=at,
    )
    rest = at - datetime.now(UTC)
    if rest > timedelta(0):
        await redis.set(REST_PREFIX + str(tenant_id), at.isoformat(), px=max(1, _ms(rest)))


async def dispatch_sending_stores(ctx: dict[str, Any]) -> int:
    """Cron: a dispatch job for every store with a sending campaign that is not resting until a moment of
    its own (the lease lets one of the jobs send)."""
    redis: ArqRedis = ctx["redis"]
    sending = await stores_sending()
    resting = await redis.mget([REST_PREFIX + str(tenant_id) for tenant_id in sending]) if sending else []
    stores = [tenant_id for tenant_id, rest in zip(sending, resting, strict=True) if rest is None]
    for tenant_id in stores:
        job_id = dispatch_job_id(tenant_id, "cron")
        await redis.enqueue_job("dispatch_campaigns", str(tenant_id), _job_id=job_id)
    return len(stores)


def _ms(duration: timedelta) -> int:
    return int(duration.total_seconds() * 1000)


# A short timeout: arq holds a job killed with its worker for the timeout before running it again, and
# the lease (not arq) is what keeps one dispatch per store.
CAMPAIGN_DISPATCH_FUNCTIONS = [func(dispatch_campaigns, max_tries=3, timeout=timedelta(seconds=60))]
CAMPAIGN_DISPATCH_CRON: list[CronJob] = [
    cron(dispatch_sending_stores, second=set(CRON_SECONDS), unique=True, run_at_startup=True),
]
