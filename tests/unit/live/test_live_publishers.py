"""The event monitor's publishers on a real Redis and PostgreSQL: event processing publishes once per
batch what it processed and what failed; a delivery publishes the message it sent."""

from __future__ import annotations

from arq.connections import ArqRedis

from domain.events.service import store_events
from domain.messaging import service as messaging
from domain.messaging.providers import ConsoleProvider
from jobs.ingest import process_events
from jobs.messaging import deliver_message
from revisit.live import LiveHub, monitor_channel
from tests.support.automation import make_customer, make_tenant
from tests.support.events import order
from tests.support.factories import make_owner


async def test_processing_a_batch_publishes_what_it_processed_and_what_failed(
    db: None, redis: ArqRedis
) -> None:
    """Two good orders and one in a currency the store does not use: one notice says 2 processed and 1
    failed (one publish for the batch, not one per event)."""
    # given
    owner = await make_owner(currency="IRT")
    foreign = order("e-3", status="completed", at="2026-11-20T10:00:00+03:30")
    foreign["data"]["currency"] = "USD"
    events = [
        order("e-1", status="completed", at="2026-11-20T10:00:00+03:30"),
        order("e-2", status="processing", at="2026-11-20T10:05:00+03:30"),
        foreign,
    ]
    await store_events(tenant_id=owner.tenant.id, source="api", raw_events=events)
    hub = LiveHub(redis)
    async with hub.listen(monitor_channel(owner.tenant.id)) as listener:
        # when
        await process_events({"redis": redis}, str(owner.tenant.id))
        # then
        assert await listener.wait(within=5) == {"events_processed": 2, "events_failed": 1}
        assert await listener.wait(within=0.3) is None


async def test_a_delivered_message_is_published_as_sent_to_its_own_store_only(
    db: None, redis: ArqRedis
) -> None:
    """deliver_message sends one SMS: its store's monitor hears messages_sent 1, another store's nothing."""
    # given
    tenant, other = await make_tenant(), await make_tenant()
    message = await messaging.queue_sms(
        tenant=tenant,
        customer=await make_customer(tenant),
        origin_key="o:1",
        purpose="transactional",
        body="سلام",
    )
    hub = LiveHub(redis)
    async with (
        hub.listen(monitor_channel(tenant.id)) as mine,
        hub.listen(monitor_channel(other.id)) as theirs,
    ):
        # when
        status = await deliver_message(
            {"sms_provider": ConsoleProvider(), "job_try": 1, "redis": redis}, str(message.id)
        )
        # then
        assert status == "sent"
        assert await mine.wait(within=5) == {"messages_sent": 1}
        assert await theirs.wait(within=0.3) is None
