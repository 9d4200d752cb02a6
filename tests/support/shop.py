"""A store's history written through the real pipeline: customers and orders as events, processed."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from domain.customers.models import Customer
from domain.events.processing import process_pending
from domain.events.service import store_events

_numbers = itertools.count(1)


def order_event(
    *,
    customer: str,
    placed_at: datetime,
    total: int = 1_000_000,
    status: str = "completed",
    order_id: str | None = None,
    product: str = "88",
    categories: tuple[str, ...] = ("tea",),
    coupons: tuple[str, ...] = (),
    city: str = "تهران",
) -> dict[str, Any]:
    """One ``order.updated`` event for the customer whose external id is ``customer``."""
    external_id = order_id or f"o{next(_numbers)}"
    return {
        "id": f"{external_id}-{status}-{placed_at.isoformat()}",
        "type": "order.updated",
        "occurred_at": placed_at.isoformat(),
        "data": {
            "external_id": external_id,
            "status": status,
            "currency": "IRT",
            "total": str(total),
            "created_at": placed_at.isoformat(),
            "coupon_codes": list(coupons),
            "items": [
                {
                    "product_id": product,
                    "name": "چای",
                    "quantity": 1,
                    "total": str(total),
                    "category_ids": list(categories),
                }
            ],
            "billing": {"city": city},
            "customer": {"external_id": customer, "first_name": customer},
        },
    }


def customer_event(external_id: str, *, at: datetime, **fields: Any) -> dict[str, Any]:
    return {
        "id": f"customer-{external_id}-{at.isoformat()}-{next(_numbers)}",
        "type": "customer.updated",
        "occurred_at": at.isoformat(),
        "data": {"external_id": external_id, **fields},
    }


async def deliver(tenant_id: UUID, events: list[dict[str, Any]], *, now: datetime) -> None:
    """Store the events as the API does and process all of them at ``now``."""
    for start in range(0, len(events), 500):
        await store_events(tenant_id=tenant_id, source="api", raw_events=events[start : start + 500])
    while (await process_pending(tenant_id=tenant_id, now=now)).handled:
        pass


async def customer_named(tenant_id: UUID, external_id: str) -> Customer:
    return await Customer.get(tenant_id=tenant_id, external_id=external_id)


def days_before(moment: datetime, days: float) -> datetime:
    return moment - timedelta(days=days)
