"""Event payloads as a store sends them, for tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def order(event_id: str, *, status: str, at: str, total: str = "1000000", **customer: Any) -> dict[str, Any]:
    return {
        "id": event_id,
        "type": "order.updated",
        "occurred_at": at,
        "data": {
            "external_id": "1042",
            "status": status,
            "currency": "IRT",
            "total": total,
            "shipping_total": "50000",
            "items": [{"product_id": "88", "name": "چای", "quantity": 2, "total": "950000"}],
            "billing": {"phone": "۰۹۱۲۱۲۳۴۵۶۷", "first_name": "سارا"},
            "customer": customer or None,
        },
    }
