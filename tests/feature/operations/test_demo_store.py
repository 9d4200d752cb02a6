"""The demo store a newcomer opens shows what Revisit does: learnt scores and stages, the built-in
lifecycle segments with members, segments of its own, an active cashback automation."""

from __future__ import annotations

from pathlib import Path

from domain.customers.models import Customer
from domain.intelligence.models import StoreIntelligence
from domain.segments.models import Segment
from revisit.demo import SEGMENTS, ensure_demo_store


async def test_the_demo_store_shows_segments_and_stays_as_made_when_opened_again(
    db: None, tmp_path: Path
) -> None:
    # when
    first = await ensure_demo_store(tmp_path)
    again = await ensure_demo_store(tmp_path)
    # then
    assert first.created and not again.created
    assert first.failed_events == 0
    tenant_id = first.tenant_id
    assert await StoreIntelligence.filter(tenant_id=tenant_id).exists()
    segments = await Segment.filter(tenant_id=tenant_id)
    builtins = {segment.builtin_key: segment for segment in segments if segment.kind == "builtin"}
    assert set(builtins) == {"new", "active", "loyal", "vip", "at_risk", "about_to_lose", "churned"}
    assert (
        sum(segment.member_count for key, segment in builtins.items() if key != "vip")
        == await Customer.filter(tenant_id=tenant_id, orders_count__gt=0).count()
    )
    own = {segment.name: segment for segment in segments if segment.kind == "dynamic"}
    assert set(own) == {name for name, _, _ in SEGMENTS}
    assert all(segment.member_count > 0 for segment in own.values()), {
        s.name: s.member_count for s in own.values()
    }
