"""The worker's Prometheus metrics: events processed, jobs run, SMS sent.

They live in the worker process's default registry; ``revisit.worker`` serves them on their own port
(``REVISIT_WORKER_METRICS_PORT``), since the API cannot see another process's counters.
"""

from __future__ import annotations

from prometheus_client import Counter

EVENTS_PROCESSED = Counter(
    "revisit_events_processed",
    "Received events taken by processing, by outcome: processed, failed, or waiting for their order.",
    ["outcome"],
)


def count_processed_events(*, processed: int, failed: int, waiting: int) -> None:
    """Add one processing pass's outcome to ``revisit_events_processed_total``."""
    for outcome, count in (("processed", processed), ("failed", failed), ("waiting", waiting)):
        if count:
            EVENTS_PROCESSED.labels(outcome=outcome).inc(count)
