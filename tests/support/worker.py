"""Running the real arq worker from a test."""

from __future__ import annotations

from revisit.services import ServiceUrls
from revisit.settings import Settings
from revisit.worker import build_worker


async def drain_queue(settings: Settings, urls: ServiceUrls) -> None:
    """Run a real arq worker until the queue is empty."""
    worker = build_worker(settings, urls, burst=True, manage_database=False)
    try:
        await worker.async_run()
    finally:
        await worker.close()
