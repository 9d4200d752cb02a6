"""Editing segments is safe to retry and to race: the same create twice, at once, makes one segment."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from tortoise.transactions import in_transaction

from domain.errors import DomainError
from domain.segments import service as segments
from domain.segments.models import Segment, SegmentMembership
from tests.support.factories import make_owner
from tests.support.shop import days_before, deliver, order_event

NOW = datetime.now(UTC).replace(microsecond=0)
REPEAT = {"version": 1, "match": {"field": "orders_count", "op": "gte", "value": 1}}


async def test_the_same_segment_created_twice_at_once_is_one_segment(db: None) -> None:
    owner = await make_owner()
    await deliver(owner.tenant.id, [order_event(customer="sara", placed_at=days_before(NOW, 2))], now=NOW)

    async def create() -> Segment:
        async with in_transaction():
            return await segments.create(tenant_id=owner.tenant.id, name="Buyers", definition=REPEAT, now=NOW)

    # when
    first, second = await asyncio.gather(create(), create())
    # then
    assert first.id == second.id
    assert await Segment.filter(tenant_id=owner.tenant.id, name="Buyers").count() == 1
    assert await SegmentMembership.filter(segment_id=first.id).count() == 1


async def test_a_segment_cannot_be_defined_through_itself(db: None) -> None:
    """A cycle of in_segment links (A in B, then B in A) is refused when it would close."""
    owner = await make_owner()
    tenant = owner.tenant.id
    base = await segments.create(tenant_id=tenant, name="A", definition=REPEAT, now=NOW)
    user = await segments.create(
        tenant_id=tenant, name="B", definition={"version": 1, "match": {"in_segment": str(base.id)}}, now=NOW
    )
    with pytest.raises(DomainError) as refused:
        await segments.update(
            tenant_id=tenant,
            segment_id=base.id,
            now=NOW,
            definition={"version": 1, "match": {"in_segment": str(user.id)}},
        )
    assert refused.value.code == "INVALID_SEGMENT"
    await base.refresh_from_db()
    assert base.revision == 1
