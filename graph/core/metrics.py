"""``revisit_events_received_total``: received events, by source and by what became of each.

Counted wherever the API has a stored batch's outcome in hand: the ``ingestEvents`` and
``ingestWooCommerceWebhook`` mutations (which the WooCommerce webhook route runs) and
``POST /rest/v1/events``, which calls the domain directly. Each batch is counted once.
"""

from __future__ import annotations

from prometheus_client import Counter

from domain.events.schema import EventBatchResult

EVENTS_RECEIVED = Counter(
    "revisit_events_received",
    "Events received in stored batches, by source (api, woocommerce_webhook) and status "
    "(accepted, duplicate, rejected).",
    ["source", "status"],
)


def count_received_events(source: str, result: EventBatchResult) -> None:
    """Count a stored batch's accepted, duplicate and rejected events."""
    for status, count in (
        ("accepted", result.accepted),
        ("duplicate", result.duplicates),
        ("rejected", result.rejected),
    ):
        if count:
            EVENTS_RECEIVED.labels(source=source, status=status).inc(count)
