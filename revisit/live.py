"""Live notices: per-tenant Redis pub/sub channels, a publish that never fails its caller, and one
subscriber connection per process that fans notices out to the process's local listeners.

Publishers (event ingestion, event processing, deliveries, campaign dispatch) send a *notice* — "something
changed" — with, for the event monitor, counts of what just happened. They publish once per batch, never
per event, and a publish that fails is logged and forgotten: live status must never slow down or fail
the work it reports on. A notice carries no data a subscriber could not read for itself; a campaign's
subscription re-reads the campaign's counters from PostgreSQL when one arrives.

Subscribers are GraphQL subscriptions in any API process. Each process holds at most one Redis pub/sub
connection (:class:`LiveHub`), subscribed to the channels its local listeners want; a notice on a
channel wakes every listener of it. Notices that arrive faster than a listener takes them coalesce (their
counts add up), so a slow client never makes a queue grow. Pub/sub delivers at most once: a notice sent
while the hub reconnects is lost, which is why listeners are told after a reconnect (an empty notice) and
why a campaign's subscription also re-reads on a timer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import AsyncIterator, Mapping
from typing import Any
from uuid import UUID

import orjson
from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.exceptions import RedisError

from domain.errors import DomainError

logger = logging.getLogger(__name__)

CHANNEL_PREFIX = "revisit:live"
PUBLISH_TIMEOUT_SECONDS = 1.0
"""A publish waits this long for Redis at most: a stalled Redis must not stall the work being reported."""
CONFIRM_SECONDS = 5.0
"""How long :meth:`LiveHub.listen` waits for Redis to confirm a new channel's subscription."""
READ_SECONDS = 1.0
RECONNECT_SECONDS = (0.2, 0.5, 1.0, 2.0, 5.0)
"""Pauses between attempts to read again after the pub/sub connection failed (the last one repeats)."""


class LiveUnavailable(DomainError):
    """Redis could not be asked to subscribe: the live status cannot be served right now."""

    def __init__(self) -> None:
        super().__init__("LIVE_UNAVAILABLE", "Live status is unavailable right now; subscribe again shortly.")


def campaign_channel(tenant_id: UUID | str, campaign_id: UUID | str) -> str:
    """The channel on which a campaign's counters are announced to have changed."""
    return f"{CHANNEL_PREFIX}:{tenant_id}:campaign:{campaign_id}"


def monitor_channel(tenant_id: UUID | str) -> str:
    """The channel of a store's event monitor: events received, processed and failed, messages sent."""
    return f"{CHANNEL_PREFIX}:{tenant_id}:monitor"


def _positive_counts(counts: Mapping[str, int] | None) -> dict[str, int]:
    if not counts:
        return {}
    return {
        name: value
        for name, value in counts.items()
        if isinstance(value, int) and not isinstance(value, bool) and value > 0
    }


async def publish(redis: Redis | None, channel: str, counts: Mapping[str, int] | None = None) -> None:
    """Announce on ``channel`` that something changed, with ``counts`` of what just happened (if any).

    Never raises: a failed publish is logged, never fails the caller. Counts that are not positive
    integers are left out; a publish whose counts were all left out is not sent (nothing happened), nor
    is one without a Redis to send it to (a process with no Redis behind it, such as a job run by hand).
    """
    positive = _positive_counts(counts)
    if redis is None or (counts is not None and not positive):
        return
    payload = orjson.dumps({"counts": positive})
    try:
        async with asyncio.timeout(PUBLISH_TIMEOUT_SECONDS):
            await redis.publish(channel, payload)
    except Exception as exc:  # whatever went wrong, the caller's work is done and must stand
        logger.warning("live notice on %s not published: %s: %s", channel, type(exc).__name__, exc)


def read_notice(data: Any) -> dict[str, int] | None:
    """The counts a published message carries (``{}`` for a bare notice); None for a message that is no
    notice of ours."""
    try:
        body = orjson.loads(data)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(body, dict):
        return None
    counts = body.get("counts")
    return _positive_counts(counts) if isinstance(counts, dict) else {}


class Listener:
    """One local subscriber's mailbox. Notices coalesce until it takes them: counts add up."""

    def __init__(self) -> None:
        self._counts: Counter[str] = Counter()
        self._notified = asyncio.Event()

    def deliver(self, counts: Mapping[str, int]) -> None:
        self._counts.update(counts)
        self._notified.set()

    async def wait(self, within: float) -> dict[str, int] | None:
        """The counts of every notice since the last call, added up (``{}`` for bare notices); None when
        no notice came within ``within`` seconds."""
        if not self._notified.is_set():
            try:
                async with asyncio.timeout(within):
                    await self._notified.wait()
            except TimeoutError:
                return None
        self._notified.clear()
        counts = dict(self._counts)
        self._counts.clear()
        return counts


class LiveHub:
    """This process's one Redis pub/sub connection, shared by every local listener.

    The connection is opened with the first listener and given back when the last one leaves; channels
    are subscribed while some local listener wants them.
    """

    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._listeners: dict[str, set[Listener]] = {}
        self._confirmed: dict[str, asyncio.Event] = {}
        self._pubsub: PubSub | None = None
        self._reader: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    @property
    def channels(self) -> set[str]:
        """The channels this process is subscribed to now."""
        return set(self._listeners)

    @contextlib.asynccontextmanager
    async def listen(self, channel: str) -> AsyncIterator[Listener]:
        """A listener of ``channel`` for the block's duration. Once entered, Redis has confirmed the
        subscription (or :data:`CONFIRM_SECONDS` passed), so a notice published from then on reaches it.
        :class:`LiveUnavailable` when Redis cannot be asked to subscribe."""
        listener = Listener()
        confirmed = await self._add(channel, listener)
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(confirmed.wait(), timeout=CONFIRM_SECONDS)
            yield listener
        finally:
            await self._remove(channel, listener)

    async def _add(self, channel: str, listener: Listener) -> asyncio.Event:
        async with self._lock:
            if self._pubsub is None:
                self._pubsub = self._redis.pubsub()
            if channel not in self._listeners:
                confirmed = asyncio.Event()
                try:
                    await self._pubsub.subscribe(channel)
                except (RedisError, OSError) as exc:
                    logger.warning("live channel %s not subscribed: %s", channel, exc)
                    raise LiveUnavailable() from exc
                self._listeners[channel], self._confirmed[channel] = set(), confirmed
            self._listeners[channel].add(listener)
            if self._reader is None:
                self._reader = asyncio.create_task(self._read(self._pubsub), name="live-hub-reader")
            return self._confirmed[channel]

    async def _remove(self, channel: str, listener: Listener) -> None:
        async with self._lock:
            listeners = self._listeners.get(channel, set())
            listeners.discard(listener)
            if listeners or channel not in self._listeners:
                return
            del self._listeners[channel], self._confirmed[channel]
            if self._listeners:
                try:
                    await self._pubsub.unsubscribe(channel)  # type: ignore[union-attr]
                except Exception as exc:  # the next reconnect subscribes only the channels still wanted
                    logger.warning("live channel %s not unsubscribed: %s", channel, exc)
                return
            reader, pubsub = self._reader, self._pubsub
            self._reader = self._pubsub = None
        if reader is not None:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader
        if pubsub is not None:
            with contextlib.suppress(Exception):
                await pubsub.aclose()

    async def _read(self, pubsub: PubSub) -> None:
        failures = 0
        while True:
            try:
                message = await pubsub.get_message(timeout=READ_SECONDS)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # connection lost: the next read reconnects and resubscribes
                pause = RECONNECT_SECONDS[min(failures, len(RECONNECT_SECONDS) - 1)]
                if failures == 0:
                    logger.warning("live pub/sub connection lost (%s); reconnecting", exc)
                failures += 1
                await asyncio.sleep(pause)
                continue
            if failures:
                failures = 0
                logger.info("live pub/sub connection back")
                self._tell_everyone()
            if message is not None:
                self._dispatch(message)

    def _dispatch(self, message: dict[str, Any]) -> None:
        channel = message.get("channel")
        if isinstance(channel, bytes):
            channel = channel.decode()
        kind = message.get("type")
        if kind == "subscribe":
            confirmed = self._confirmed.get(channel)  # type: ignore[arg-type]
            if confirmed is not None:
                confirmed.set()
            return
        if kind != "message":
            return
        counts = read_notice(message.get("data"))
        if counts is None:
            return
        for listener in list(self._listeners.get(channel, ())):  # type: ignore[arg-type]
            listener.deliver(counts)

    def _tell_everyone(self) -> None:
        """After a reconnect: notices may have been lost, so every listener is told to look again."""
        for listeners in self._listeners.values():
            for listener in listeners:
                listener.deliver({})
