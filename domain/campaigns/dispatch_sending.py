"""Talking to the provider for one claimed chunk: look up what a dead dispatch may have sent, then send the
rest in provider batches, several in flight at once.

Nothing here writes to the database; :func:`send_chunk` answers :class:`Outcomes` and the caller records
them (:mod:`domain.campaigns.dispatch_outcomes`). A batch that raised anything but the provider's own
errors (a bug, a broken connection pool) is counted an unknown outcome — it may have gone out — never a
failure.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Final
from uuid import UUID

from domain.campaigns.dispatch_claims import Claimed
from domain.messaging.accounts import Route
from domain.messaging.delivery import LOOKUP_GRACE
from domain.messaging.providers import (
    BatchMessage,
    BatchOutcome,
    OutcomeUnknownError,
    PermanentSendError,
    ProviderOutOfCreditError,
    RetryableSendError,
)

logger = logging.getLogger("revisit.campaigns")

LOOKUP_STILL_UNKNOWN: Final = "Outcome still unknown: "


@dataclass
class Unknown:
    """Messages whose outcome is unknown since ``since``, and why."""

    ids: list[UUID]
    since: datetime
    reason: str


@dataclass
class Outcomes:
    """What the provider said of a chunk, grouped the way it is recorded."""

    taken: list[tuple[UUID, str, str]] = field(default_factory=list)
    failed: list[tuple[UUID, str]] = field(default_factory=list)
    retry: dict[str, list[UUID]] = field(default_factory=dict)
    out_of_credit: list[UUID] = field(default_factory=list)
    out_of_credit_reason: str = ""
    unknown: list[Unknown] = field(default_factory=list)
    waiting: list[Unknown] = field(default_factory=list)
    """Looked up and not found, too soon after the attempt to believe it (a provider without duplicate
    protection): looked up again after the grace."""

    def add(
        self, batch: Sequence[BatchMessage], result: list[BatchOutcome] | BaseException, at: datetime
    ) -> None:
        """One batch's answer (or the error it raised), sorted into the groups."""
        ids = [UUID(item.local_id) for item in batch]
        if isinstance(result, ProviderOutOfCreditError):
            self.out_of_credit += ids
            self.out_of_credit_reason = result.reason
        elif isinstance(result, OutcomeUnknownError):
            self.unknown.append(Unknown(ids, at, result.reason))
        elif isinstance(result, RetryableSendError):
            self.retry.setdefault(result.reason, []).extend(ids)
        elif isinstance(result, PermanentSendError):
            self.failed += [(message_id, result.reason) for message_id in ids]
        elif isinstance(result, BaseException):
            logger.error("A campaign batch of %d raised %r; its outcome is unknown", len(ids), result)
            self.unknown.append(Unknown(ids, at, f"Outcome unknown: {type(result).__name__}"))
        else:
            for outcome in result:
                message_id = UUID(outcome.local_id)
                if outcome.outcome == "taken" and outcome.provider_message_id:
                    self.taken.append((message_id, outcome.provider_message_id, outcome.status or "queued"))
                elif outcome.outcome == "failed":
                    self.failed.append((message_id, outcome.reason or "refused by the provider"))
                else:
                    self.retry.setdefault(outcome.reason or "to be sent again", []).append(message_id)


async def send_chunk(
    messages: Sequence[Claimed], *, route: Route, concurrency: int, now: datetime | None = None
) -> Outcomes:
    """Resolve the unknown outcomes among ``messages`` by a batch look-up, then send every message the
    provider provably does not have, ``route.provider.batch_size`` a call, ``concurrency`` calls at once."""
    moment = now or datetime.now(UTC)
    provider = route.provider
    gate = asyncio.Semaphore(concurrency)
    outcomes = Outcomes()
    fresh = [message for message in messages if message.outcome_unknown_at is None]
    unknown = [message for message in messages if message.outcome_unknown_at is not None]
    if unknown:
        fresh += await _look_up(unknown, route=route, gate=gate, outcomes=outcomes, now=moment)

    batches = [
        [_item(message, route) for message in fresh[start : start + provider.batch_size]]
        for start in range(0, len(fresh), provider.batch_size)
    ]

    async def one(
        batch: list[BatchMessage],
    ) -> tuple[list[BatchMessage], list[BatchOutcome] | BaseException, datetime]:
        async with gate:
            started = datetime.now(UTC)
            try:
                return batch, await provider.send_batch(batch), started
            except Exception as exc:  # sorted by Outcomes.add: anything unexpected is an unknown outcome
                return batch, exc, started

    for batch, result, started in await asyncio.gather(*(one(batch) for batch in batches)):
        outcomes.add(batch, result, started)
    return outcomes


def _item(message: Claimed, route: Route) -> BatchMessage:
    return BatchMessage(str(message.id), message.phone, message.body, route.sender)


async def _look_up(
    unknown: Sequence[Claimed], *, route: Route, gate: asyncio.Semaphore, outcomes: Outcomes, now: datetime
) -> list[Claimed]:
    """Ask the provider about messages a dead dispatch (or a lost answer) left unknown. Found ones are
    taken; the ones to send again are returned; the rest stay unknown, in ``outcomes``."""
    provider = route.provider
    grace = timedelta(0) if provider.dedupes_local_ids else LOOKUP_GRACE
    groups = [
        unknown[start : start + provider.batch_size] for start in range(0, len(unknown), provider.batch_size)
    ]

    async def one(group: Sequence[Claimed]) -> list[Claimed]:
        since = min(message.outcome_unknown_at or now for message in group)
        items = [_item(message, route) for message in group]
        try:
            async with gate:
                found = await provider.look_up_batch(items, sent_after=since)
        except (RetryableSendError, PermanentSendError) as exc:
            outcomes.unknown.append(Unknown([m.id for m in group], since, LOOKUP_STILL_UNKNOWN + exc.reason))
            return []
        again: list[Claimed] = []
        waiting: list[UUID] = []
        for message in group:
            result = found.get(str(message.id))
            if result is not None and result.found and result.provider_message_id:
                outcomes.taken.append((message.id, result.provider_message_id, result.status or "sent"))
            elif result is not None and now - (message.outcome_unknown_at or now) >= grace:
                again.append(message)
            else:
                waiting.append(message.id)
        if waiting:
            reason = f"Outcome unknown; {provider.name} does not show it yet"
            outcomes.waiting.append(Unknown(waiting, since, reason))
        return again

    resend: list[Claimed] = []
    for again in await asyncio.gather(*(one(group) for group in groups)):
        resend += again
    if resend:
        logger.info("%d campaign messages never reached %s; sending them again", len(resend), provider.name)
    return resend
