"""The nightly refresh of one store: relearn the store, rescore every customer, refresh every segment.

Time alone changes a customer's recency, stage and chance of still being active, and moves customers
in and out of "no order in 60 days" segments, even when no event arrives; this is what catches that up.
It runs under the store's processing lock, so it never interleaves with a batch of the store's events.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID
from zoneinfo import ZoneInfo

from tortoise.transactions import in_transaction

from domain.events.batch import Handler
from domain.intelligence.metrics import apply_model
from domain.intelligence.models import StoreIntelligence
from domain.intelligence.store import StoreModel, learn
from domain.segments.builtins import ensure_builtins
from domain.segments.refresh import SegmentChange, announced, refresh_segments
from domain.tenancy.models import Tenant

# The lock processing takes for a store's batches (domain.events.processing), here waited for.
_STORE_LOCK = "SELECT pg_advisory_xact_lock(hashtext($1))"


@dataclass(frozen=True)
class StoreRefresh:
    """What one full refresh found and changed."""

    model: StoreModel
    customers_rescored: int
    segments: list[SegmentChange]


async def refresh_store(*, tenant_id: UUID, now: datetime, handlers: Sequence[Handler] = ()) -> StoreRefresh:
    """Relearn the store's model, rescore its customers, bring the built-in segments to the model and
    refresh every condition segment, in one transaction; ``handlers`` hear who entered and left."""
    tenant = await Tenant.get(id=tenant_id)
    async with in_transaction() as connection:
        await connection.execute_query(_STORE_LOCK, [str(tenant_id)])
        model = await learn(connection, tenant_id=tenant_id, now=now)
        rescored = await apply_model(connection, tenant_id=tenant_id, model=model, now=now)
        await ensure_builtins(tenant_id=tenant_id, model=model)
        changes = await refresh_segments(tenant_id=tenant_id, now=now, model=model, timezone=tenant.timezone)
        local_day = now.astimezone(ZoneInfo(tenant.timezone)).date()
        await (
            StoreIntelligence.filter(tenant_id=tenant_id).using_db(connection).update(refreshed_on=local_day)
        )
        events = announced(tenant_id, changes, at=now)
        for handler in handlers:
            await handler(events, now=now)
    return StoreRefresh(model, rescored, changes)
