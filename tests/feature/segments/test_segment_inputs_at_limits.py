"""Segment inputs at their limits through GraphQL: every one a typed error that changes nothing, and
a list changed twice at once keeps each customer once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from domain.segments.models import Segment, SegmentMembership
from tests.support.api import ApiClient
from tests.support.factories import Owner, make_owner
from tests.support.shop import days_before, deliver, order_event

NOW = datetime.now(UTC).replace(microsecond=0)
ANY_BUYER = {"version": 1, "match": {"field": "orders_count", "op": "gte", "value": 1}}
PREVIEW = """
query Preview($definition: JSON!, $message: String, $sample: Int!) {
  previewSegment(definition: $definition, message: $message, sample: $sample) { matching }
}
"""
CREATE = """
mutation Create($input: SegmentInput!) {
  createSegment(input: $input) { segment { id } errors { code field } }
}
"""
ADD = """
mutation Add($id: ID!, $ids: [ID!]!) {
  addSegmentMembers(id: $id, customerIds: $ids) { changed errors { code field } }
}
"""


async def call(client: ApiClient, owner: Owner, query: str, variables: dict[str, Any]) -> Any:
    return await client.graphql(query, variables, token=owner.token, tenant=owner.tenant_id)


async def test_preview_bounds_are_typed_errors(client: ApiClient, db: None) -> None:
    owner = await make_owner()
    for variables, code, says in [
        ({"definition": ANY_BUYER, "sample": -1}, "INVALID", "sample"),
        ({"definition": ANY_BUYER, "sample": 101}, "INVALID", "sample"),
        ({"definition": ANY_BUYER, "sample": 5, "message": "x" * 10_000}, "INVALID", "message"),
        ({"definition": ANY_BUYER, "sample": 5, "message": ""}, "EMPTY_MESSAGE", "empty"),
    ]:
        result = await call(client, owner, PREVIEW, variables)
        assert result.data is None and result.error_codes() == [code], (variables, result.errors)
        assert says in result.errors[0]["message"].lower(), result.errors


async def test_names_and_descriptions_at_their_limits_are_refused(client: ApiClient, db: None) -> None:
    owner = await make_owner()
    for input_ in [
        {"name": ""},
        {"name": "   "},
        {"name": "x" * 10_000},
        {"name": "a\u0007b"},
        {"name": "fine", "description": "x" * 10_000},
        {"name": "fine", "description": "bad\u0001"},
    ]:
        result = await call(client, owner, CREATE, {"input": input_})
        assert [e["code"] for e in result.ok()["createSegment"]["errors"]] == ["INVALID"], (input_, result)
    assert await Segment.filter(tenant_id=owner.tenant.id).count() == 0


async def test_a_list_takes_at_most_ten_thousand_ids_a_call_and_keeps_each_customer_once(
    client: ApiClient, db: None
) -> None:
    owner = await make_owner()
    await deliver(owner.tenant.id, [order_event(customer="sara", placed_at=days_before(NOW, 2))], now=NOW)
    listed = (await call(client, owner, "query { customers { nodes { id } } }", {})).ok()
    [sara] = [node["id"] for node in listed["customers"]["nodes"]]
    created = (await call(client, owner, CREATE, {"input": {"name": "List"}})).ok()["createSegment"][
        "segment"
    ]
    too_many = await call(client, owner, ADD, {"id": created["id"], "ids": [sara] * 10_001})
    assert [e["code"] for e in too_many.ok()["addSegmentMembers"]["errors"]] == ["TOO_MANY"]
    bad_id = await call(client, owner, ADD, {"id": created["id"], "ids": ["not-an-id"]})
    assert bad_id.error_codes() == ["INVALID"] or bad_id.ok()["addSegmentMembers"]["errors"]
    # when: the same addition twice at once
    first, second = await asyncio.gather(
        call(client, owner, ADD, {"id": created["id"], "ids": [sara]}),
        call(client, owner, ADD, {"id": created["id"], "ids": [sara]}),
    )
    # then: one stay, opened by exactly one of them
    changed = sorted(r.ok()["addSegmentMembers"]["changed"] for r in (first, second))
    assert changed == [0, 1]
    assert await SegmentMembership.filter(segment_id=created["id"], left_at__isnull=True).count() == 1
