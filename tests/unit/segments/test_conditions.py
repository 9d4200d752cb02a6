"""Every kind of condition selects the customers it says, and the two shapes of the compiled SQL (a whole
store at once, or the customers one batch touched) select the same ones."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from domain.customers.models import Customer
from domain.messaging.models import OutboundMessage
from domain.segments import service as segments
from domain.segments.models import SegmentMembership
from domain.segments.refresh import refresh_segments
from tests.support.factories import make_owner
from tests.support.shop import days_before, deliver, order_event

NOW = datetime.now(UTC).replace(microsecond=0)


def match(node: dict[str, Any]) -> dict[str, Any]:
    return {"version": 1, "match": node}


CASES: list[tuple[str, dict[str, Any], set[str]]] = [
    ("orders", match({"field": "orders_count", "op": "between", "value": [2, 3]}), {"sara", "mina"}),
    ("spent", match({"field": "total_spent", "op": "gte", "value": 5_000_000}), {"ali", "sara"}),
    ("lapsed", match({"field": "days_since_last_order", "op": "gt", "value": 60}), {"mina"}),
    ("recent", match({"field": "days_since_last_order", "op": "lte", "value": 10}), {"sara", "ali"}),
    ("city", match({"field": "city", "op": "in", "value": ["SHIRAZ"]}), {"mina"}),
    ("city contains", match({"field": "city", "op": "contains", "value": "RAN"}), {"sara", "ali"}),
    ("tags", match({"field": "tags", "op": "has_any", "value": ["vip"]}), {"ali"}),
    (
        "no tags",
        match({"field": "tags", "op": "has_none", "value": ["vip"]}),
        {"sara", "mina", "reza", "pari"},
    ),
    ("consent", match({"field": "marketing_consent", "op": "is", "value": False}), {"reza"}),
    ("prospects", match({"field": "lifecycle_stage", "op": "in", "value": ["prospect"]}), {"pari"}),
    ("last order date", match({"field": "last_order_at", "op": "before", "value": "2000-01-01"}), set()),
    ("never ordered", match({"field": "last_order_at", "op": "not_set"}), {"pari"}),
    ("product", match({"purchased": {"product": "tea-1", "at_least": 2}}), {"sara"}),
    ("category recent", match({"purchased": {"category": "coffee", "within_days": 30}}), {"ali"}),
    ("spent lately", match({"spent": {"at_least": 2_000_000, "within_days": 30}}), {"ali"}),
    ("coupon", match({"used_coupon": {"code": "YALDA"}}), {"mina"}),
    ("any coupon lately", match({"used_coupon": {"within_days": 30}}), set()),
    ("messaged", match({"received_messages": {"at_least": 1, "within_days": 7}}), {"reza"}),
    (
        "nested",
        match(
            {
                "any": [
                    {
                        "all": [
                            {"field": "orders_count", "op": "gte", "value": 2},
                            {"not": {"field": "city", "op": "eq", "value": "tehran"}},
                        ]
                    },
                    {"field": "tags", "op": "has_all", "value": ["vip", "wholesale"]},
                ]
            }
        ),
        {"mina", "ali"},
    ),
    (
        "not lapsed",
        match({"not": {"field": "days_since_last_order", "op": "gt", "value": 60}}),
        {"sara", "ali", "reza", "pari"},
    ),
]


async def the_shop() -> Any:
    """sara: 3 tea orders in Tehran; mina: 2 orders in Shiraz, the last 70 days ago with YALDA;
    ali: one big coffee order in Tehran, tagged vip and wholesale; reza: one old order, no consent,
    texted yesterday; pari: signed up, never ordered."""
    owner = await make_owner()
    events = [
        order_event(
            customer="sara", placed_at=days_before(NOW, 40), total=2_000_000, product="tea-1", city="Tehran"
        ),
        order_event(
            customer="sara", placed_at=days_before(NOW, 35), total=2_000_000, product="tea-1", city="Tehran"
        ),
        order_event(
            customer="sara", placed_at=days_before(NOW, 2), total=1_000_000, product="tea-2", city="Tehran"
        ),
        order_event(customer="mina", placed_at=days_before(NOW, 90), total=1_000_000, city="Shiraz"),
        order_event(
            customer="mina",
            placed_at=days_before(NOW, 70),
            total=1_000_000,
            coupons=("yalda",),
            city="Shiraz",
        ),
        order_event(
            customer="ali",
            placed_at=days_before(NOW, 5),
            total=9_000_000,
            product="beans",
            categories=("coffee",),
            city="Tehran",
        ),
        order_event(customer="reza", placed_at=days_before(NOW, 50), total=500_000, city="Varamin"),
        {
            "id": "pari-signup",
            "type": "customer.created",
            "occurred_at": days_before(NOW, 3).isoformat(),
            "data": {"external_id": "pari", "first_name": "pari"},
        },
    ]
    await deliver(owner.tenant.id, events, now=NOW)
    await Customer.filter(tenant_id=owner.tenant.id, external_id="ali").update(tags=["vip", "wholesale"])
    await Customer.filter(tenant_id=owner.tenant.id, external_id="reza").update(marketing_consent=False)
    reza = await Customer.get(tenant_id=owner.tenant.id, external_id="reza")
    await OutboundMessage.create(
        tenant_id=owner.tenant.id,
        customer=reza,
        origin_key="test:1",
        purpose="marketing",
        phone="+989120000000",
        body="سلام",
        encoding="UCS-2",
        parts=1,
        status="sent",
    )
    return owner


async def names(segment_id: object) -> set[str]:
    stays = await SegmentMembership.filter(segment_id=segment_id, left_at__isnull=True).prefetch_related(
        "customer"
    )
    return {stay.customer.external_id or "" for stay in stays}


@pytest.mark.parametrize(("label", "definition", "expected"), CASES, ids=[case[0] for case in CASES])
async def test_a_condition_selects_what_it_says_in_both_shapes(
    db: None, label: str, definition: dict[str, Any], expected: set[str]
) -> None:
    owner = await the_shop()
    # when: the whole store is considered
    segment = await segments.create(tenant_id=owner.tenant.id, name=label, definition=definition, now=NOW)
    # then
    assert await names(segment.id) == expected
    # and when: the stays are forgotten and every customer is reconsidered as if a batch touched them
    await SegmentMembership.filter(segment_id=segment.id).delete()
    everyone = await Customer.filter(tenant_id=owner.tenant.id).values_list("id", flat=True)
    await refresh_segments(tenant_id=owner.tenant.id, now=NOW, customer_ids=list(everyone))
    # then: the same customers
    assert await names(segment.id) == expected
