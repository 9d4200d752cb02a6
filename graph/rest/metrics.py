"""``revisit_events_received_total``: events the REST routes stored, by source and by what became of each.

Counted where a route has the stored batch's answer in hand (``POST /rest/v1/events``, the WooCommerce
webhook). Events sent straight to the ``ingestEvents`` mutation are not counted here.
"""

from __future__ import annotations

from typing import Any

from prometheus_client import Counter

EVENTS_RECEIVED = Counter(
    "revisit_events_received",
    "Events received in stored batches, by source (api, woocommerce) and status (accepted, duplicate, "
    "rejected).",
    ["source", "status"],
)


def count_received_events(source: str, payload: dict[str, Any]) -> None:
    """Count a stored batch from its answer's ``accepted``, ``duplicates`` and ``rejected``."""
    for status, key in (("accepted", "accepted"), ("duplicate", "duplicates"), ("rejected", "rejected")):
        if payload.get(key):
            EVENTS_RECEIVED.labels(source=source, status=status).inc(payload[key])
