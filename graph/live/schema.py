"""The live context's part of the schema: the Subscription type (served over graphql-transport-ws)."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import aclosing
from typing import Annotated

import strawberry

from domain.errors import DomainError
from graph.campaigns.types import CampaignProgressType
from graph.core.context import Info
from graph.core.ids import optional_uuid, to_uuid
from graph.core.permissions import Can
from graph.live.campaign_progress import watch_campaign
from graph.live.context import LiveContext
from graph.live.event_monitor import HEARTBEAT_SECONDS, EventMonitorTick, MonitorPace, watch_events
from revisit.live import LiveHub

MIN_HEARTBEAT_SECONDS, MAX_HEARTBEAT_SECONDS = 1, 300


def hub_of(info: Info) -> LiveHub:
    """This process's live hub: subscriptions run only over the websocket (SubscriptionsOverWebsocket),
    whose context has one."""
    context = info.context
    if not isinstance(context, LiveContext):
        raise RuntimeError("a subscription ran outside the websocket")
    return context.live_hub()


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description=(
            "A campaign's counters at once, then again each time they change (at most four times a "
            "second, and at least every 5 seconds), until it completes or is cancelled: the last answer is "
            "that final state, then the subscription completes. NOT_FOUND for another store's campaign."
        ),
        permission_classes=[Can("campaigns", "read")],
    )
    async def campaign_progress(
        self, info: Info, id: strawberry.ID, tenant_id: strawberry.ID | None = None
    ) -> AsyncGenerator[CampaignProgressType, None]:
        scope = info.context.require_tenant(optional_uuid(tenant_id))
        campaign_id = to_uuid(id, what="Campaign")
        states = watch_campaign(hub_of(info), scope, campaign_id)
        async with aclosing(states):
            async for progress in states:
                yield CampaignProgressType.from_domain(progress)

    @strawberry.subscription(
        description=(
            "A store's events received, processed and failed, and SMS sent, as they happen. The first "
            "tick (STARTED) comes at once; then a tick when something happened (at most four a second, "
            "what happened meanwhile added up) and a HEARTBEAT tick after each quiet `heartbeatSeconds`."
        ),
        permission_classes=[Can("events", "read")],
    )
    async def event_monitor(
        self,
        info: Info,
        tenant_id: strawberry.ID | None = None,
        heartbeat_seconds: Annotated[
            int,
            strawberry.argument(
                description=f"Seconds of quiet before a heartbeat tick, {MIN_HEARTBEAT_SECONDS} to "
                f"{MAX_HEARTBEAT_SECONDS}."
            ),
        ] = int(HEARTBEAT_SECONDS),
    ) -> AsyncGenerator[EventMonitorTick, None]:
        scope = info.context.require_tenant(optional_uuid(tenant_id))
        if not MIN_HEARTBEAT_SECONDS <= heartbeat_seconds <= MAX_HEARTBEAT_SECONDS:
            raise DomainError(
                "INVALID",
                f"heartbeatSeconds must be {MIN_HEARTBEAT_SECONDS} to {MAX_HEARTBEAT_SECONDS}.",
                field="heartbeatSeconds",
            )
        ticks = watch_events(hub_of(info), scope, MonitorPace(heartbeat=float(heartbeat_seconds)))
        async with aclosing(ticks):  # the hub lets go of the channel as soon as the client stops
            async for tick in ticks:
                yield tick
