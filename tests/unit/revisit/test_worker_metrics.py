"""The worker's metrics: jobs counted and timed through arq's hooks, SMS by provider and status, and the
worker serving them on its own port."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from arq import Retry
from arq.connections import ArqRedis
from prometheus_client import REGISTRY

from domain.messaging import service as messaging
from domain.messaging.providers import ConsoleProvider, RetryableSendError, SendResult
from jobs.messaging import deliver_message
from jobs.metrics import count_processed_events
from jobs.queue import enqueue_ingest
from revisit.services import ServiceUrls
from revisit.settings import Settings
from revisit.worker import serve_metrics
from tests.support.automation import make_customer, make_tenant
from tests.support.worker import drain_queue


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


class BusyProvider:
    name = "busy"

    async def send(self, *, receptor: str, message: str, sender: str | None, local_id: str) -> SendResult:
        raise RetryableSendError("busy")


async def test_the_worker_serves_its_metrics_on_its_own_port() -> None:
    """serve_metrics answers /metrics over HTTP with what this process counted."""
    # given
    server = serve_metrics("127.0.0.1", 0)
    assert server is not None
    count_processed_events(processed=5, failed=1, waiting=0)
    try:
        # when
        answer = await asyncio.to_thread(httpx.get, f"http://127.0.0.1:{server.server_port}/metrics")
    finally:
        server.shutdown()
        server.server_close()
    # then
    assert answer.status_code == 200
    processed = sample("revisit_events_processed_total", outcome="processed")
    assert f'revisit_events_processed_total{{outcome="processed"}} {processed}' in answer.text


async def test_a_taken_port_is_skipped_not_fatal() -> None:
    """A second worker on the machine finds the port taken: it runs on without serving metrics."""
    # given
    first = serve_metrics("127.0.0.1", 0)
    assert first is not None
    try:
        # when
        second = serve_metrics("127.0.0.1", first.server_port)
    finally:
        first.shutdown()
        first.server_close()
    # then
    assert second is None


async def test_a_job_run_by_the_real_worker_is_counted_and_timed(
    db: None, redis: ArqRedis, settings: Settings, service_urls: ServiceUrls
) -> None:
    """process_events run by arq ends as a success in revisit_jobs_total, with one duration observed."""
    # given
    tenant = await make_tenant()
    await enqueue_ingest(redis, tenant.id)
    runs = sample("revisit_jobs_total", function="process_events", outcome="success")
    timed = sample("revisit_job_duration_seconds_count", function="process_events")
    # when
    await drain_queue(settings, service_urls)
    # then
    assert sample("revisit_jobs_total", function="process_events", outcome="success") == runs + 1
    assert sample("revisit_job_duration_seconds_count", function="process_events") == timed + 1
    assert sample("revisit_jobs_running") == 0


async def test_sms_are_counted_by_provider_and_status(db: None) -> None:
    """A transient failure counts as retry for its provider; the delivery that succeeds counts as sent."""
    # given
    tenant = await make_tenant()
    message = await messaging.queue_sms(
        tenant=tenant,
        customer=await make_customer(tenant),
        origin_key="run:1:step:0",
        purpose="transactional",
        body="سلام",
    )
    retries = sample("revisit_sms_total", provider="busy", status="retry")
    sent = sample("revisit_sms_total", provider="console", status="sent")
    ctx: dict[str, Any] = {"sms_provider": BusyProvider(), "job_try": 1}
    # when
    with pytest.raises(Retry):
        await deliver_message(ctx, str(message.id))
    await deliver_message({"sms_provider": ConsoleProvider(), "job_try": 2}, str(message.id))
    # then
    assert sample("revisit_sms_total", provider="busy", status="retry") == retries + 1
    assert sample("revisit_sms_total", provider="console", status="sent") == sent + 1
