"""Orders as the store reports them."""

from __future__ import annotations

from domain.commerce.models import Order
from domain.events.processing import process_pending
from domain.events.service import store_events
from tests.support.events import NOW, order
from tests.support.factories import make_owner


async def test_credit_used_finer_than_the_currency_is_rounded_down_like_the_hold(db: None) -> None:
    """credit_used "1000.5" toman is 1000: the same rounding as the hold it captures, never one unit more."""
    # given
    owner = await make_owner()
    event = order("o-1", status="processing", at="2026-11-20T10:00:00+03:30")
    event["data"]["credit_used"] = "1000.5"
    await store_events(tenant_id=owner.tenant.id, source="api", raw_events=[event])
    # when
    await process_pending(tenant_id=owner.tenant.id, now=NOW)
    # then
    assert (await Order.get(tenant_id=owner.tenant.id)).credit_used == 1000
