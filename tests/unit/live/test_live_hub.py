"""revisit.live on a real Redis: per-store channels, a publish that never fails its caller, and one
pub/sub connection per process fanning notices out to its local listeners."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from arq.connections import ArqRedis
from redis.asyncio import Redis

from revisit.live import (
    LiveHub,
    LiveUnavailable,
    campaign_channel,
    monitor_channel,
    publish,
    read_notice,
)
from revisit.services import ServiceUrls
from tests.support.worker_process import eventually


async def _subscribed(redis: ArqRedis, channel: str) -> bool:
    return await subscribers(redis, channel) == 1


async def subscribers(redis: ArqRedis, channel: str) -> int:
    [(_, count)] = await redis.pubsub_numsub(channel)
    return int(count)


async def test_a_notice_reaches_every_local_listener_of_its_channel_through_one_connection(
    redis: ArqRedis,
) -> None:
    """Three listeners of one channel in one process share one Redis subscription; one publish reaches
    all three with its counts."""
    # given
    hub, channel = LiveHub(redis), monitor_channel(uuid.uuid4())
    async with hub.listen(channel) as first, hub.listen(channel) as second, hub.listen(channel) as third:
        # when
        await publish(redis, channel, {"events_received": 3})
        got = [await listener.wait(within=5) for listener in (first, second, third)]
        # then
        assert got == [{"events_received": 3}] * 3
        assert await subscribers(redis, channel) == 1


async def test_notices_a_listener_has_not_taken_yet_add_up(redis: ArqRedis) -> None:
    """A slow listener does not queue notices: what arrived meanwhile is added up into one."""
    # given
    hub, channel = LiveHub(redis), monitor_channel(uuid.uuid4())
    async with hub.listen(channel) as listener:
        # when
        await publish(redis, channel, {"events_received": 2})
        await publish(redis, channel, {"events_received": 5, "messages_sent": 1})
        await publish(redis, channel, {"events_processed": 7})
        await asyncio.sleep(0.3)
        got = await listener.wait(within=5)
        # then
        assert got == {"events_received": 7, "messages_sent": 1, "events_processed": 7}
        assert await listener.wait(within=0.2) is None


async def test_a_listener_hears_only_its_own_stores_channel(redis: ArqRedis) -> None:
    """Store A's listener hears nothing of store B's monitor or campaigns."""
    # given
    hub, mine, theirs = LiveHub(redis), uuid.uuid4(), uuid.uuid4()
    async with hub.listen(monitor_channel(mine)) as listener:
        # when
        await publish(redis, monitor_channel(theirs), {"events_received": 9})
        await publish(redis, campaign_channel(theirs, uuid.uuid4()))
        await publish(redis, campaign_channel(mine, uuid.uuid4()))
        # then
        assert await listener.wait(within=0.5) is None
        await publish(redis, monitor_channel(mine), {"events_received": 1})
        assert await listener.wait(within=5) == {"events_received": 1}


async def test_the_channel_is_let_go_when_its_last_listener_leaves(redis: ArqRedis) -> None:
    """Redis keeps the process subscribed only while some local listener wants the channel; with no
    listener left the pub/sub connection is given back."""
    # given
    hub, first, second = LiveHub(redis), monitor_channel(uuid.uuid4()), monitor_channel(uuid.uuid4())
    async with hub.listen(first):
        async with hub.listen(second):
            assert (await subscribers(redis, first), await subscribers(redis, second)) == (1, 1)
        # when the second's only listener left
        await asyncio.sleep(0.1)
        assert (await subscribers(redis, first), await subscribers(redis, second)) == (1, 0)
    # then
    await asyncio.sleep(0.1)
    assert await subscribers(redis, first) == 0
    assert hub.channels == set()


async def test_a_bare_notice_and_one_of_nothing(redis: ArqRedis) -> None:
    """A campaign notice carries no counts (``{}``); counts that are zero, negative or not whole
    numbers are left out, and a publish of nothing but those is not sent at all."""
    # given
    hub, channel = LiveHub(redis), campaign_channel(uuid.uuid4(), uuid.uuid4())
    async with hub.listen(channel) as listener:
        # when
        await publish(redis, channel, {"messages_sent": 0, "events_failed": -2, "x": "7", "y": True})  # type: ignore[dict-item]
        nothing = await listener.wait(within=0.5)
        await publish(redis, channel)
        bare = await listener.wait(within=5)
    # then
    assert (nothing, bare) == (None, {})


async def test_publish_never_fails_its_caller_when_redis_is_unreachable() -> None:
    """A Redis nobody answers at (and no Redis at all): publish returns, having logged the failure."""
    # given
    unreachable = Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    # when
    await publish(unreachable, monitor_channel(uuid.uuid4()), {"events_received": 1})
    await publish(None, monitor_channel(uuid.uuid4()), {"events_received": 1})
    await unreachable.aclose()
    # then nothing was raised


def test_read_notice_takes_only_notices_of_ours() -> None:
    """Garbage on a channel is ignored (None); counts are kept only when positive whole numbers."""
    assert read_notice(b"not json") is None
    assert read_notice(b"[1, 2]") is None
    assert read_notice(b'{"counts": "x"}') == {}
    assert read_notice(b'{"counts": {"events_received": 2, "bad": -1, "worse": 1.5}}') == {
        "events_received": 2
    }


async def test_a_lost_pubsub_connection_is_reopened_and_its_listeners_are_told_to_look_again(
    redis: ArqRedis, service_urls: ServiceUrls
) -> None:
    """Redis drops the hub's pub/sub connection (CLIENT KILL of that one connection): the hub
    reconnects and subscribes again by itself, tells its listener that notices may have been lost (a
    bare notice), and notices published afterwards arrive as before."""
    # given: a hub whose connections carry a name, so the test can find its one pub/sub connection
    name = f"live-hub-{uuid.uuid4().hex[:12]}"
    named = Redis.from_url(service_urls.redis_url, client_name=name)
    hub, channel = LiveHub(named), monitor_channel(uuid.uuid4())
    try:
        async with hub.listen(channel) as listener:
            [hubs] = [c for c in await redis.client_list() if c.get("name") == name and c.get("sub") != "0"]
            # when
            await redis.execute_command("CLIENT", "KILL", "ID", hubs["id"])
            told = await listener.wait(within=10)
            await eventually(lambda: _subscribed(redis, channel), within=10, what="subscribing again")
            await publish(redis, channel, {"events_received": 2})
            after = await listener.wait(within=5)
    finally:
        await named.aclose()
    # then
    assert told == {}
    assert after == {"events_received": 2}


async def test_listening_without_a_redis_to_subscribe_with_is_a_clear_error() -> None:
    """A hub whose Redis does not answer refuses to listen with LIVE_UNAVAILABLE (a typed error the
    subscription passes on), and keeps no channel."""
    # given
    unreachable = Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    hub = LiveHub(unreachable)
    # when
    with pytest.raises(LiveUnavailable) as refused:
        async with hub.listen(monitor_channel(uuid.uuid4())):
            pass
    await unreachable.aclose()
    # then
    assert refused.value.code == "LIVE_UNAVAILABLE"
    assert hub.channels == set()


async def test_listeners_coming_and_going_concurrently_leave_nothing_subscribed(redis: ArqRedis) -> None:
    """60 listeners over three channels join and leave at once, in a shuffled order, while notices
    are published: each hears its channel's notice, and afterwards the process holds no subscription."""
    # given
    hub = LiveHub(redis)
    channels = [monitor_channel(uuid.uuid4()) for _ in range(3)]
    heard: list[dict[str, int] | None] = []
    everyone_in = asyncio.Barrier(61)

    async def one(number: int) -> None:
        async with hub.listen(channels[number % 3]) as listener:
            await everyone_in.wait()
            heard.append(await listener.wait(within=5))
            await asyncio.sleep((number * 7 % 5) / 100)  # leave in a shuffled order

    # when
    tasks = [asyncio.create_task(one(number)) for number in range(60)]
    await everyone_in.wait()
    for channel in channels:
        await publish(redis, channel, {"events_received": 1})
    await asyncio.gather(*tasks)
    # then
    assert heard == [{"events_received": 1}] * 60
    assert hub.channels == set()
    assert [await subscribers(redis, channel) for channel in channels] == [0, 0, 0]
