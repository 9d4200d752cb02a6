"""Running the arq worker with the database open and the SMS provider chosen by the settings."""

from __future__ import annotations

import logging
from typing import Any
from wsgiref.simple_server import WSGIServer

from arq.connections import RedisSettings
from arq.worker import Worker
from prometheus_client import start_http_server

from domain.messaging import accounts
from domain.messaging.accounts import ProviderDirectory, ProviderFactory
from domain.messaging.kavenegar import KavenegarProvider
from domain.messaging.providers import ConsoleProvider, SmsProvider
from domain.messaging.smsir import SmsirProvider
from jobs.worker import WorkerSettings
from revisit import database
from revisit.services import ServiceUrls
from revisit.settings import Settings

logger = logging.getLogger(__name__)


def sms_provider(settings: Settings) -> SmsProvider:
    """The platform's provider, named by ``REVISIT_SMS_PROVIDER``."""
    if settings.sms_provider == "kavenegar":
        if not settings.kavenegar_api_key:
            raise RuntimeError("REVISIT_KAVENEGAR_API_KEY must be set to send through Kavenegar.")
        return KavenegarProvider(
            api_key=settings.kavenegar_api_key,
            base_url=settings.kavenegar_base_url,
            timeout=settings.sms_timeout_seconds,
        )
    if settings.sms_provider == "smsir":
        if not settings.smsir_api_key or not settings.smsir_line:
            raise RuntimeError(
                "REVISIT_SMSIR_API_KEY and REVISIT_SMSIR_LINE must be set to send through sms.ir."
            )
        return SmsirProvider(
            settings.smsir_api_key,
            line=settings.smsir_line,
            base_url=settings.smsir_base_url,
            timeout=settings.sms_timeout_seconds,
        )
    return ConsoleProvider()


def platform_sender(settings: Settings) -> str | None:
    """The platform's own line (None: the provider account's default)."""
    if settings.sms_provider == "smsir":
        return settings.smsir_line or None
    return settings.kavenegar_sender or None


def account_factory(settings: Settings) -> ProviderFactory:
    """Makes a store account's provider, at the base URLs and timeout the deployment uses."""

    def make(provider: str, api_key: str) -> SmsProvider:
        if provider == "smsir":
            return SmsirProvider(
                api_key, base_url=settings.smsir_base_url, timeout=settings.sms_timeout_seconds
            )
        return KavenegarProvider(
            api_key, base_url=settings.kavenegar_base_url, timeout=settings.sms_timeout_seconds
        )

    return make


def provider_directory(settings: Settings) -> ProviderDirectory:
    """The platform's provider and line, and stores' own accounts opened with the server's secret key."""
    return ProviderDirectory(
        platform=sms_provider(settings),
        platform_sender=platform_sender(settings),
        factory=account_factory(settings),
        encryption_key=accounts.encryption_key(settings.resolved_secret_key()),
    )


def worker_context(settings: Settings) -> dict[str, Any]:
    """What every job finds in ``ctx`` besides arq's own keys."""
    directory = provider_directory(settings)
    return {
        "sms_directory": directory,
        "sms_provider": directory.platform.provider,
        "sms_sender": directory.platform.sender,
    }


def serve_metrics(host: str, port: int) -> WSGIServer | None:
    """Serve this process's metrics (:mod:`jobs.metrics`) at ``http://host:port/metrics`` from a thread.

    A port already taken (a second worker on the machine) is logged and skipped: the worker's jobs
    matter more than its metrics. ``port`` 0 asks the system for a free one (tests).
    """
    try:
        server, _ = start_http_server(port, addr=host)
    except OSError as exc:
        logger.warning("worker metrics not served on %s:%s: %s", host, port, exc)
        return None
    logger.info("worker metrics on http://%s:%s/metrics", host, server.server_port)
    return server


def build_worker(
    settings: Settings, urls: ServiceUrls, *, burst: bool = False, manage_database: bool = True
) -> Worker:
    """An arq worker over the configured Redis. With ``manage_database`` it opens and closes the ORM."""

    metrics: list[WSGIServer] = []

    async def startup(ctx: dict[str, Any]) -> None:
        if manage_database:
            await database.init(urls.database_url)
        if settings.worker_metrics_port and not burst:  # a burst worker ends before anyone scrapes it
            server = serve_metrics(settings.host, settings.worker_metrics_port)
            metrics.extend([server] if server else [])

    async def shutdown(ctx: dict[str, Any]) -> None:
        directory = ctx.get("sms_directory")
        if isinstance(directory, ProviderDirectory):
            await directory.aclose()
        for server in metrics:
            server.shutdown()
            server.server_close()
        if manage_database:
            await database.close()

    return Worker(
        functions=WorkerSettings.functions,
        cron_jobs=WorkerSettings.cron_jobs,
        queue_name=WorkerSettings.queue_name,
        redis_settings=RedisSettings.from_dsn(urls.redis_url),
        keep_result=WorkerSettings.keep_result,
        max_jobs=WorkerSettings.max_jobs,
        job_timeout=WorkerSettings.job_timeout,
        ctx=worker_context(settings),
        on_startup=startup,
        on_shutdown=shutdown,
        on_job_start=WorkerSettings.on_job_start,
        on_job_end=WorkerSettings.on_job_end,
        after_job_end=WorkerSettings.after_job_end,
        burst=burst,
        handle_signals=False,
    )
