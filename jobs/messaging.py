"""Messaging jobs: deliver queued SMS through the configured provider, and reconcile stuck ones.

The worker's ctx carries ``sms_provider`` (an :class:`~domain.messaging.providers.SmsProvider`) and
``sms_sender`` (the default sender line, or None for the provider account's default).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from arq import Retry
from arq.connections import ArqRedis
from arq.cron import CronJob, cron
from arq.worker import func

from domain.messaging import service as messaging
from domain.messaging.models import OutboundMessage
from domain.messaging.providers import ProviderOutOfCreditError, RetryableSendError
from jobs.metrics import count_sms

FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(hours=1)
OUT_OF_CREDIT_RETRY = timedelta(minutes=15)
STALE_AFTER = timedelta(minutes=1)
"""A queued message nobody touched for this long is re-enqueued by the reconciler."""
RECONCILE_BATCH = 1000


async def enqueue_deliveries(queue: ArqRedis, message_ids: Iterable[UUID]) -> None:
    """Wake a worker to deliver each message. Call after the transaction that queued them commits."""
    for message_id in message_ids:
        await queue.enqueue_job("deliver_message", str(message_id), _job_id=f"deliver:{message_id}")


async def deliver_message(ctx: dict[str, Any], message_id: str) -> str:
    """Send one queued message; on a transient failure, retry later with exponential backoff."""
    provider = ctx["sms_provider"]
    try:
        message = await messaging.deliver(
            message_id=UUID(message_id), provider=provider, sender=ctx.get("sms_sender")
        )
    except ProviderOutOfCreditError as exc:
        count_sms(provider=provider.name, status="out_of_credit")
        raise Retry(defer=OUT_OF_CREDIT_RETRY) from exc
    except RetryableSendError as exc:
        count_sms(provider=provider.name, status="retry")
        raise Retry(defer=retry_delay(ctx["job_try"])) from exc
    if message.status in {messaging.SENT, messaging.FAILED}:
        count_sms(provider=provider.name, status=message.status)
    return message.status


def retry_delay(job_try: int) -> timedelta:
    """How long to wait after the ``job_try``-th attempt failed: 30 s, 1 min, 2 min, … at most 1 h."""
    return min(FIRST_RETRY * 2 ** max(job_try - 1, 0), LONGEST_RETRY)


async def reconcile_messages(ctx: dict[str, Any]) -> int:
    """Cron: re-enqueue queued messages untouched for a minute, in case Redis lost their wake-up."""
    ids = (
        await OutboundMessage.filter(status=messaging.QUEUED, updated_at__lte=datetime.now(UTC) - STALE_AFTER)
        .order_by("updated_at")
        .limit(RECONCILE_BATCH)
        .values_list("id", flat=True)
    )
    await enqueue_deliveries(ctx["redis"], (UUID(str(message_id)) for message_id in ids))
    return len(ids)


# One more arq try than delivery attempts, so the database (not arq) decides when to give up.
MESSAGING_FUNCTIONS = [func(deliver_message, max_tries=messaging.MAX_ATTEMPTS + 1)]
MESSAGING_CRON: list[CronJob] = [
    cron(reconcile_messages, run_at_startup=True, timeout=timedelta(minutes=1)),  # every minute
]
