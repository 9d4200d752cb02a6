"""Dispatching campaigns: a store's sending campaigns, chunk by chunk, through the provider's batch API.

One dispatch runs per store at a time (the job holds the store's dispatch lease, ``jobs/campaign_dispatch``)
and works for at most a time budget before it hands over to a fresh job, so a store's campaign holds one
worker slot at a time and never for long: other stores' journeys, deliveries and checkout look-ups keep
their share of the workers. Within the budget it takes the store's sending campaigns round-robin, one
chunk each in turn.

One chunk (:func:`dispatch_chunk`):

1. The store's quiet hours and the campaign's sending window (:func:`domain.campaigns.window.next_open`):
   closed → nothing is claimed; the dispatch comes back at the opening.
2. The claim (:mod:`~domain.campaigns.dispatch_claims`), one transaction: the campaign still ``sending``
   (a pause or cancel takes effect here, between chunks), customers who said no since launch withdrawn,
   the chunk charged from the campaign's reservation — the wallet cannot pay → the campaign pauses for
   funds and nothing of the chunk is sent — and the messages claimed.
3. The provider (:mod:`~domain.campaigns.dispatch_sending`): what a dead dispatch left unknown is looked up
   by local id first; everything the provider provably does not have goes in batches, several at once.
4. The outcomes (:mod:`~domain.campaigns.dispatch_outcomes`), set-based: sent with the provider's ids;
   refused for good → failed and refunded; to retry → back-off; unknown → looked up later.
5. Nothing queued any more → :func:`domain.campaigns.lifecycle.complete_if_done`.

Crash safety: every message is a row before it is sent, its id is the provider's local id, a chunk is paid
and claimed in the same transaction, and a claim found later is an unknown outcome resolved by a look-up.
So a dispatch killed anywhere sends nobody twice, skips nobody, and charges each message once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final, Literal
from uuid import UUID

from domain.campaigns import dispatch_outcomes, lifecycle, window
from domain.campaigns.dispatch_claims import claim_chunk, next_due, sending_campaigns
from domain.campaigns.dispatch_sending import Outcomes, send_chunk
from domain.campaigns.models import Campaign
from domain.messaging.accounts import Route
from domain.messaging.delivery import LOOKUP_GRACE
from domain.tenancy.models import Tenant

logger = logging.getLogger("revisit.campaigns")

SEND_CONCURRENCY: Final = 4
"""Chunks in flight at once per store (measured in ``bench/bench_campaign.py``): while one waits for the
provider, another is claimed or recorded."""
CHUNK_BATCHES: Final = 2
"""Provider batches per chunk, sent at once: a chunk is claimed and paid for in one transaction, so a
bigger one pays the transaction's fixed cost (and the wallet's lock) for more messages."""
TIME_BUDGET: Final = timedelta(seconds=5)
"""How long one dispatch job works before it hands over to a fresh job at the back of the queue."""
RECHECK_UNKNOWN: Final = timedelta(seconds=10)
"""How soon a message whose answer was lost is looked up again."""
PROVIDER_CREDIT_RETRY: Final = timedelta(minutes=15)
"""How long sending waits after the provider account said it is out of credit."""
BUSY_RETRY: Final = timedelta(seconds=1)

ChunkState = Literal["sent", "idle", "done", "stopped", "unpaid", "closed", "provider_out_of_credit"]


@dataclass(frozen=True)
class ChunkResult:
    """What one chunk did. ``state``: ``sent`` (a chunk went to the provider), ``idle`` (nothing due now,
    come back at ``due_at``), ``done`` (nothing queued: completed), ``stopped`` (not sending: paused,
    cancelled), ``unpaid`` (paused for funds), ``closed`` (quiet hours or outside the window, opens at
    ``due_at``), ``provider_out_of_credit`` (come back at ``due_at``)."""

    campaign_id: UUID
    state: ChunkState
    sent: int = 0
    failed: int = 0
    suppressed: int = 0
    due_at: datetime | None = None


async def dispatch_chunk(
    *,
    tenant: Tenant,
    campaign_id: UUID,
    route: Route,
    now: datetime | None = None,
    concurrency: int = 1,
    since: datetime | None = None,
) -> ChunkResult:
    """Send the campaign's next chunk — ``concurrency`` provider batches, sent at once — (see the module
    docstring). The caller holds the store's lease, taken at ``since`` (default: ``now``)."""
    moment = now or datetime.now(UTC)
    campaign = await Campaign.get_or_none(tenant_id=tenant.id, id=campaign_id)
    if campaign is None or campaign.status != lifecycle.SENDING:
        return ChunkResult(campaign_id, "stopped")
    opens = window.next_open(tenant=tenant, campaign=campaign, now=moment)
    if opens > moment:
        return ChunkResult(campaign_id, "closed", due_at=opens)
    chunk = await claim_chunk(
        tenant=tenant,
        campaign_id=campaign_id,
        size=route.provider.batch_size * concurrency,
        now=moment,
        route=route,
        since=since,
    )
    if chunk.status != lifecycle.SENDING:
        return ChunkResult(campaign_id, "stopped", suppressed=chunk.suppressed)
    if not chunk.paid:
        logger.info("Campaign %s paused: the wallet cannot pay for its next chunk", campaign_id)
        await lifecycle.pause_for_funds(tenant.id, campaign_id)
        return ChunkResult(campaign_id, "unpaid", suppressed=chunk.suppressed)
    if chunk.token is None:
        return await _nothing_claimed(tenant.id, campaign_id, moment, chunk.suppressed)
    outcomes = await send_chunk(chunk.messages, route=route, concurrency=concurrency, now=moment)
    return await _record(tenant.id, campaign_id, chunk.token, route, outcomes, chunk.suppressed)


async def _nothing_claimed(tenant_id: UUID, campaign_id: UUID, now: datetime, suppressed: int) -> ChunkResult:
    """No message was due: the campaign is done, or its next message is due later (or held elsewhere)."""
    queued, due = await next_due(tenant_id=tenant_id, campaign_id=campaign_id)
    if queued == 0:
        await lifecycle.complete_if_done(tenant_id, campaign_id)
        return ChunkResult(campaign_id, "done", suppressed=suppressed)
    if suppressed:
        return ChunkResult(campaign_id, "sent", suppressed=suppressed)
    return ChunkResult(campaign_id, "idle", suppressed=suppressed, due_at=max(due or now, now + BUSY_RETRY))


async def _record(
    tenant_id: UUID, campaign_id: UUID, token: datetime, route: Route, outcomes: Outcomes, suppressed: int
) -> ChunkResult:
    now = datetime.now(UTC)
    provider = route.provider
    sent = await dispatch_outcomes.record_sent(
        tenant_id=tenant_id,
        token=token,
        provider=provider.name,
        account_id=route.account_id,
        taken=outcomes.taken,
        now=now,
    )
    failed = await dispatch_outcomes.record_failed(tenant_id=tenant_id, token=token, failed=outcomes.failed)
    for reason, ids in outcomes.retry.items():
        failed += await dispatch_outcomes.record_retry(
            tenant_id=tenant_id,
            token=token,
            ids=ids,
            reason=reason,
            now=now,
            first=dispatch_outcomes.FIRST_RETRY,
        )
    failed += await dispatch_outcomes.record_retry(
        tenant_id=tenant_id,
        token=token,
        ids=outcomes.out_of_credit,
        reason=outcomes.out_of_credit_reason,
        now=now,
        first=PROVIDER_CREDIT_RETRY,
    )
    for unknown in outcomes.unknown:  # looked up soon: what the provider took is found at once
        await dispatch_outcomes.record_unknown(
            tenant_id=tenant_id,
            token=token,
            ids=unknown.ids,
            since=unknown.since,
            reason=unknown.reason,
            look_again=now + RECHECK_UNKNOWN,
            grace=timedelta(0),
        )
    for waiting in outcomes.waiting:
        await dispatch_outcomes.record_unknown(
            tenant_id=tenant_id,
            token=token,
            ids=waiting.ids,
            since=waiting.since,
            reason=waiting.reason,
            look_again=now,
            grace=LOOKUP_GRACE,
        )
    if outcomes.out_of_credit:
        logger.warning("%s is out of credit: campaign %s waits", provider.name, campaign_id)
        return ChunkResult(
            campaign_id, "provider_out_of_credit", sent, failed, suppressed, now + PROVIDER_CREDIT_RETRY
        )
    return ChunkResult(campaign_id, "sent", sent, failed, suppressed)


@dataclass(frozen=True)
class StoreResult:
    """What one dispatch job did for a store: chunks it sent, and whether to go on at once (``more``)
    or at ``due_at`` (the earliest moment a waiting campaign can send again), or not at all."""

    chunks: int
    sent: int
    more: bool
    due_at: datetime | None


async def dispatch_store(
    *,
    tenant_id: UUID,
    route_of: Callable[[Tenant], Awaitable[Route]],
    on_chunk: Callable[[ChunkResult], Awaitable[None]],
    still_leased: Callable[[], bool],
    budget: timedelta = TIME_BUDGET,
    lanes: int = SEND_CONCURRENCY,
) -> StoreResult:
    """Send the store's sending campaigns round-robin, one chunk each in turn, ``lanes`` chunks in flight
    at once, for at most ``budget`` (and while ``still_leased``). ``on_chunk`` hears of every chunk."""
    tenant = await Tenant.get_or_none(id=tenant_id)
    if tenant is None:
        return StoreResult(0, 0, False, None)
    route = await route_of(tenant)
    since = datetime.now(UTC)
    turn = deque(await sending_campaigns(tenant_id))
    deadline = time.monotonic() + budget.total_seconds()
    totals = {"chunks": 0, "sent": 0}
    due: list[datetime] = []
    stopped = False

    async def lane() -> None:
        nonlocal stopped
        while turn and not stopped and still_leased() and time.monotonic() < deadline:
            campaign_id = turn[0]
            turn.rotate(-1)  # the next lane takes the next campaign (or the same one, when it is alone)
            result = await dispatch_chunk(
                tenant=tenant, campaign_id=campaign_id, route=route, since=since, concurrency=CHUNK_BATCHES
            )
            await on_chunk(result)
            totals["chunks"] += result.state == "sent"
            totals["sent"] += result.sent
            if result.state == "sent":
                if campaign_id not in turn:  # another lane found nothing left to claim meanwhile
                    turn.append(campaign_id)
                continue
            if campaign_id in turn:
                turn.remove(campaign_id)
            if result.due_at is not None:
                due.append(result.due_at)
            if result.state == "provider_out_of_credit":  # the store's whole route is: no campaign can go
                stopped = True

    await asyncio.gather(*(lane() for _ in range(lanes)))
    more = bool(turn) and not stopped
    return StoreResult(totals["chunks"], totals["sent"], more, min(due) if due else None)
