"""Running the arq worker with the database open and the SMS provider chosen by the settings."""

from __future__ import annotations

from typing import Any

from arq.connections import RedisSettings
from arq.worker import Worker

from domain.messaging.kavenegar import KavenegarProvider
from domain.messaging.providers import ConsoleProvider, SmsProvider
from jobs.worker import WorkerSettings
from revisit import database
from revisit.services import ServiceUrls
from revisit.settings import Settings


def sms_provider(settings: Settings) -> SmsProvider:
    """The provider named by ``REVISIT_SMS_PROVIDER``."""
    if settings.sms_provider == "kavenegar":
        if not settings.kavenegar_api_key:
            raise RuntimeError("REVISIT_KAVENEGAR_API_KEY must be set to send through Kavenegar.")
        return KavenegarProvider(
            api_key=settings.kavenegar_api_key,
            base_url=settings.kavenegar_base_url,
            timeout=settings.sms_timeout_seconds,
        )
    return ConsoleProvider()


def worker_context(settings: Settings) -> dict[str, Any]:
    """What every job finds in ``ctx`` besides arq's own keys."""
    return {"sms_provider": sms_provider(settings), "sms_sender": settings.kavenegar_sender or None}


def build_worker(
    settings: Settings, urls: ServiceUrls, *, burst: bool = False, manage_database: bool = True
) -> Worker:
    """An arq worker over the configured Redis. With ``manage_database`` it opens and closes the ORM."""

    async def startup(ctx: dict[str, Any]) -> None:
        if manage_database:
            await database.init(urls.database_url)

    async def shutdown(ctx: dict[str, Any]) -> None:
        if manage_database:
            await database.close()

    return Worker(
        functions=WorkerSettings.functions,  # type: ignore[arg-type]
        cron_jobs=WorkerSettings.cron_jobs,
        queue_name=WorkerSettings.queue_name,
        redis_settings=RedisSettings.from_dsn(urls.redis_url),
        keep_result=WorkerSettings.keep_result,
        max_jobs=WorkerSettings.max_jobs,
        job_timeout=WorkerSettings.job_timeout,
        ctx=worker_context(settings),
        on_startup=startup,
        on_shutdown=shutdown,
        burst=burst,
        handle_signals=False,
    )
