"""Messaging jobs: deliver queued SMS, resolve lost answers, poll delivery reports and inbound SMS.

The worker's ctx carries ``sms_directory`` (a :class:`~domain.messaging.accounts.ProviderDirectory`: the
platform's provider and line, and stores' own accounts). A ctx with only ``sms_provider`` (and
``sms_sender``) is given a directory of that provider alone, which refuses store accounts.

- ``deliver_message``: one message. Not due yet (quiet hours, a deferred cap) → enqueued again for the
  moment it is due (``deliver:<id>:<unix time>``); a transient failure → arq's Retry with backoff.
- ``reconcile_messages`` (every minute): queued messages that are due and untouched for a minute are
  enqueued again — a lost wake-up, a deferral Redis forgot, an unknown outcome still to look up. A
  campaign's messages are left to campaign dispatch (``jobs/campaign_dispatch``), which sends them in
  chunks and has its own cron.
- ``poll_delivery_reports`` (every 5 minutes) fans out one ``poll_reports`` job per route (the platform's
  line, each store account) with sent messages still waiting for their report.
- ``poll_inbound`` (every minute) fans out one ``poll_inbound_route`` job per route with a line.
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
from tortoise.expressions import Q

from domain.messaging import delivery, inbound, reports
from domain.messaging.accounts import AccountUnusable, ProviderDirectory, Route
from domain.messaging.models import OutboundMessage, SmsAccount
from domain.messaging.providers import (
    OutcomeUnknownError,
    ProviderOutOfCreditError,
    RetryableSendError,
    SmsProvider,
)
from jobs.metrics import count_inbound, count_reports, count_sms
from revisit import live

FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(hours=1)
OUT_OF_CREDIT_RETRY = timedelta(minutes=15)
STALE_AFTER = timedelta(minutes=1)
"""A queued, due message nobody touched for this long is re-enqueued by the reconciler."""
RECONCILE_BATCH = 1000
PLATFORM = "platform"


def directory_of(ctx: dict[str, Any]) -> ProviderDirectory:
    """The ctx's directory; a ctx that names only a provider gets one around it (kept in the ctx)."""
    directory = ctx.get("sms_directory")
    if directory is None:
        directory = ProviderDirectory(
            platform=ctx["sms_provider"],
            platform_sender=ctx.get("sms_sender"),
            factory=_no_store_accounts,
            encryption_key=b"\0" * 32,
        )
        ctx["sms_directory"] = directory
    return directory


def _no_store_accounts(provider: str, api_key: str) -> SmsProvider:
    raise AccountUnusable("This worker sends only through the platform's line.")


async def enqueue_deliveries(queue: ArqRedis, message_ids: Iterable[UUID]) -> None:
    """Wake a worker to deliver each message. Call after the transaction that queued them commits."""
    for message_id in message_ids:
        await queue.enqueue_job("deliver_message", str(message_id), _job_id=f"deliver:{message_id}")


async def deliver_message(ctx: dict[str, Any], message_id: str) -> str:
    """Send one queued message when it is due; on a transient failure, retry later with backoff."""
    directory = directory_of(ctx)
    name = directory.platform.provider.name
    try:
        outcome = await delivery.deliver(message_id=UUID(message_id), directory=directory)
    except ProviderOutOfCreditError as exc:
        count_sms(provider=name, status="out_of_credit")
        raise Retry(defer=OUT_OF_CREDIT_RETRY) from exc
    except OutcomeUnknownError as exc:
        count_sms(provider=name, status="unknown")
        raise Retry(defer=retry_delay(ctx["job_try"])) from exc
    except RetryableSendError as exc:
        count_sms(provider=name, status="retry")
        raise Retry(defer=retry_delay(ctx["job_try"])) from exc
    if outcome.due_at is not None:
        await ctx["redis"].enqueue_job(
            "deliver_message",
            message_id,
            _job_id=f"deliver:{message_id}:{int(outcome.due_at.timestamp())}",
            _defer_until=outcome.due_at,
        )
        return "deferred"
    if outcome.message.status in {delivery.SENT, delivery.FAILED}:
        count_sms(provider=outcome.provider or name, status=outcome.message.status)
    if outcome.message.status == delivery.SENT:
        channel = live.monitor_channel(outcome.message.tenant_id)  # type: ignore[attr-defined]
        await live.publish(ctx.get("redis"), channel, {"messages_sent": 1})
    return outcome.message.status


def retry_delay(job_try: int) -> timedelta:
    """How long to wait after the ``job_try``-th attempt failed: 30 s, 1 min, 2 min, … at most 1 h."""
    return min(FIRST_RETRY * 2 ** max(job_try - 1, 0), LONGEST_RETRY)


async def reconcile_messages(ctx: dict[str, Any]) -> int:
    """Cron: re-enqueue due queued messages untouched for a minute, in case Redis lost their wake-up."""
    now = datetime.now(UTC)
    ids = (
        await OutboundMessage.filter(
            status=delivery.QUEUED, campaign_id__isnull=True, updated_at__lte=now - STALE_AFTER
        )
        .filter(Q(send_after__isnull=True) | Q(send_after__lte=now))
        .order_by("updated_at")
        .limit(RECONCILE_BATCH)
        .values_list("id", flat=True)
    )
    await enqueue_deliveries(ctx["redis"], (UUID(str(message_id)) for message_id in ids))
    return len(ids)


async def _routes(
    directory: ProviderDirectory, scopes: Iterable[str]
) -> dict[str, tuple[Route, UUID | None]]:
    """Each scope's route (``platform``, or a store account's id) with the store it belongs to."""
    found: dict[str, tuple[Route, UUID | None]] = {}
    for scope in scopes:
        if scope == PLATFORM:
            found[scope] = (directory.platform, None)
            continue
        account = await SmsAccount.get_or_none(id=UUID(scope))
        if account is not None:
            try:
                provider = directory.provider_of(account)
            except AccountUnusable:
                continue
            found[scope] = (Route(provider, account.line, account.id), account.tenant_id)  # type: ignore[attr-defined]
    return found


async def poll_delivery_reports(ctx: dict[str, Any]) -> int:
    """Cron: one ``poll_reports`` job per route that has sent messages waiting for their report."""
    scopes = await reports.routes_awaiting_reports(now=datetime.now(UTC))
    slot = int(datetime.now(UTC).timestamp()) // 300
    for scope in scopes:
        await ctx["redis"].enqueue_job("poll_reports", scope, _job_id=f"poll_reports:{scope}:{slot}")
    return len(scopes)


async def poll_reports(ctx: dict[str, Any], scope: str) -> int:
    """Ask one route's provider for the reports of its waiting messages and record them."""
    routes = await _routes(directory_of(ctx), [scope])
    if scope not in routes:
        return 0
    route, tenant_id = routes[scope]
    try:
        recorded = await reports.poll(
            provider=route.provider, account_id=route.account_id, tenant_id=tenant_id, now=datetime.now(UTC)
        )
    except RetryableSendError as exc:
        raise Retry(defer=retry_delay(ctx["job_try"])) from exc
    count_reports(provider=route.provider.name, source="poll", count=recorded)
    return recorded


async def poll_inbound(ctx: dict[str, Any]) -> int:
    """Cron: one ``poll_inbound_route`` job per route with a line (the platform's, each store account's)."""
    directory = directory_of(ctx)
    scopes = [PLATFORM] if directory.platform.sender else []
    scopes += [
        str(account_id)
        for account_id in await SmsAccount.filter(line__isnull=False).values_list("id", flat=True)
    ]
    minute = int(datetime.now(UTC).timestamp()) // 60
    for scope in scopes:
        await ctx["redis"].enqueue_job("poll_inbound_route", scope, _job_id=f"poll_inbound:{scope}:{minute}")
    return len(scopes)


async def poll_inbound_route(ctx: dict[str, Any], scope: str) -> int:
    """Take the SMS customers sent to one route's line and pass them on (opt-outs included)."""
    routes = await _routes(directory_of(ctx), [scope])
    if scope not in routes:
        return 0
    route, tenant_id = routes[scope]
    try:
        messages = await route.provider.inbound(line=route.sender)
    except RetryableSendError as exc:
        raise Retry(defer=retry_delay(ctx["job_try"])) from exc
    stored = await inbound.receive(
        provider=route.provider.name,
        account_id=route.account_id,
        tenant_id=tenant_id,
        messages=messages,
        source="poll",
        now=datetime.now(UTC),
    )
    count_inbound(provider=route.provider.name, source="poll", count=len(stored))
    return len(stored)


# One more arq try than delivery attempts, so the database (not arq) decides when to give up.
MESSAGING_FUNCTIONS = [
    func(deliver_message, max_tries=delivery.MAX_ATTEMPTS + 1),
    func(poll_reports, max_tries=3),
    func(poll_inbound_route, max_tries=3),
]
MESSAGING_CRON: list[CronJob] = [
    cron(reconcile_messages, run_at_startup=True, timeout=timedelta(minutes=1)),  # every minute
    cron(poll_delivery_reports, minute=set(range(2, 60, 5)), second={15}, unique=True),
    cron(poll_inbound, second={40}, unique=True),
]
