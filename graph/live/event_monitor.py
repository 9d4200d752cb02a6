"""``eventMonitor``: a store's events received, processed and failed, and messages sent, as they happen."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncGenerator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import Self
from uuid import UUID

import strawberry

from revisit.live import LiveHub, monitor_channel

HEARTBEAT_SECONDS = 15.0
"""An idle monitor still ticks this often, so a client can tell a quiet store from a dead connection."""
MIN_TICK_SECONDS = 0.25
"""At most four ticks a second: notices that arrive faster are added up into the next tick."""


@strawberry.enum(description="Why the monitor ticked.")
class EventMonitorTickKind(Enum):
    STARTED = strawberry.enum_value("started", description="The first tick: the monitor is listening.")
    ACTIVITY = strawberry.enum_value("activity", description="Something happened since the last tick.")
    HEARTBEAT = strawberry.enum_value("heartbeat", description="Nothing happened; the monitor is alive.")


@strawberry.type(description="Counts of what happened in a store.")
class EventMonitorCounts:
    events_received: int = strawberry.field(description="Events stored (accepted; not duplicates).")
    events_processed: int = strawberry.field(description="Events processed successfully.")
    events_failed: int = strawberry.field(description="Events whose processing failed (kept for replay).")
    messages_sent: int = strawberry.field(description="SMS handed to the provider.")

    @classmethod
    def of(cls, counts: Mapping[str, int]) -> Self:
        return cls(
            events_received=counts.get("events_received", 0),
            events_processed=counts.get("events_processed", 0),
            events_failed=counts.get("events_failed", 0),
            messages_sent=counts.get("messages_sent", 0),
        )


@strawberry.type(description="One tick of the event monitor.")
class EventMonitorTick:
    kind: EventMonitorTickKind
    at: datetime = strawberry.field(description="When the tick was made.")
    since_last_tick: EventMonitorCounts = strawberry.field(description="What happened since the last tick.")
    since_subscribed: EventMonitorCounts = strawberry.field(
        description="What happened since this subscription started (running totals)."
    )


@dataclass(frozen=True)
class MonitorPace:
    """How often the monitor ticks: at least every ``heartbeat`` seconds, at most every ``min_tick``."""

    heartbeat: float = HEARTBEAT_SECONDS
    min_tick: float = MIN_TICK_SECONDS


async def watch_events(
    hub: LiveHub, tenant_id: UUID, pace: MonitorPace = MonitorPace()
) -> AsyncGenerator[EventMonitorTick, None]:
    """The store's monitor ticks, from a first ``STARTED`` tick on, until the client stops listening."""
    totals: Counter[str] = Counter()

    def tick(kind: EventMonitorTickKind, counts: Mapping[str, int]) -> EventMonitorTick:
        totals.update(counts)
        return EventMonitorTick(
            kind=kind,
            at=datetime.now(UTC),
            since_last_tick=EventMonitorCounts.of(counts),
            since_subscribed=EventMonitorCounts.of(totals),
        )

    async with hub.listen(monitor_channel(tenant_id)) as listener:
        yield tick(EventMonitorTickKind.STARTED, {})
        while True:
            counts = await listener.wait(within=pace.heartbeat)
            if counts is None:
                yield tick(EventMonitorTickKind.HEARTBEAT, {})
            elif counts:  # a bare notice (after a reconnect) has nothing to count
                yield tick(EventMonitorTickKind.ACTIVITY, counts)
                await asyncio.sleep(pace.min_tick)
