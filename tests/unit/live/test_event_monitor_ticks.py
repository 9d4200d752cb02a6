"""The event monitor's ticks from a real hub on Redis: a STARTED tick at once, ACTIVITY ticks with what
happened since the last one and running totals, notices between ticks added up, HEARTBEAT when idle."""

from __future__ import annotations

import asyncio
from contextlib import aclosing

from arq.connections import ArqRedis

from graph.live.event_monitor import EventMonitorTickKind, MonitorPace, watch_events
from revisit.live import LiveHub, monitor_channel, publish
from tests.support.factories import make_owner


def counts(tick: object) -> tuple[int, int, int, int]:
    c = tick  # EventMonitorCounts
    return (c.events_received, c.events_processed, c.events_failed, c.messages_sent)  # type: ignore[attr-defined]


async def test_the_monitor_ticks_with_changes_and_totals_and_adds_up_what_came_between_ticks(
    db: None, redis: ArqRedis
) -> None:
    """Notices published while the monitor waits out its minimum pause arrive as one tick; the totals
    run on from the start of the subscription."""
    # given
    owner = await make_owner()
    hub, channel = LiveHub(redis), monitor_channel(owner.tenant.id)
    ticks = watch_events(hub, owner.tenant.id, MonitorPace(heartbeat=30, min_tick=0.5))
    async with aclosing(ticks):
        started = await anext(ticks)
        # when
        await publish(redis, channel, {"events_received": 4})
        first = await anext(ticks)
        await publish(redis, channel, {"events_processed": 3, "events_failed": 1})
        await publish(redis, channel, {"messages_sent": 2})
        second = await anext(ticks)
    # then
    assert started.kind is EventMonitorTickKind.STARTED and counts(started.since_subscribed) == (0, 0, 0, 0)
    assert first.kind is EventMonitorTickKind.ACTIVITY and counts(first.since_last_tick) == (4, 0, 0, 0)
    assert counts(second.since_last_tick) == (0, 3, 1, 2)
    assert counts(second.since_subscribed) == (4, 3, 1, 2)
    assert first.at <= second.at


async def test_an_idle_monitor_sends_heartbeats_and_lets_go_of_the_channel_when_closed(
    db: None, redis: ArqRedis
) -> None:
    """Nothing happens: a HEARTBEAT tick of zeros comes after each quiet heartbeat; once the client
    stops, the process is no longer subscribed to the store's channel."""
    # given
    owner = await make_owner()
    hub = LiveHub(redis)
    ticks = watch_events(hub, owner.tenant.id, MonitorPace(heartbeat=0.2, min_tick=0.05))
    # when
    async with aclosing(ticks):
        await anext(ticks)
        beats = [await anext(ticks), await anext(ticks)]
        subscribed = hub.channels
    await asyncio.sleep(0)
    # then
    assert [beat.kind for beat in beats] == [EventMonitorTickKind.HEARTBEAT] * 2
    assert all(counts(beat.since_subscribed) == (0, 0, 0, 0) for beat in beats)
    assert subscribed == {monitor_channel(owner.tenant.id)}
    assert hub.channels == set()
