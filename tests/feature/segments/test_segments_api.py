"""Segments through GraphQL as a client uses them: preview, create, page through members, edit,
delete (refused while in use), static lists, permissions and tenant isolation."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from domain.tenancy import service as tenancy
from domain.tenancy.security import issue_access_token
from tests.support.api import ApiClient
from tests.support.factories import TEST_SECRET, Owner, make_owner
from tests.support.shop import days_before, deliver, order_event

NOW = datetime.now(UTC).replace(microsecond=0)
REPEAT = {"version": 1, "match": {"all": [{"field": "orders_count", "op": "gte", "value": 2}]}}

PREVIEW = """
query Preview($definition: JSON!, $message: String) {
  previewSegment(definition: $definition, message: $message, sample: 5) {
    matching reachable parts cost sample { externalId }
  }
}
"""
CREATE = """
mutation Create($input: SegmentInput!) {
  createSegment(input: $input) {
    segment { id name kind memberCount revision definition }
    errors { code field message }
  }
}
"""
MEMBERS = """
query Members($id: ID!, $after: String) {
  segment(id: $id) {
    memberCount
    members(first: 2, after: $after) {
      edges { cursor node { customer { externalId } } }
      pageInfo { hasNextPage endCursor }
    }
    sizeHistory { size entered left }
  }
}
"""
UPDATE = """
mutation Update($id: ID!, $input: SegmentChanges!) {
  updateSegment(id: $id, input: $input) { segment { revision memberCount } errors { code field message } }
}
"""
DELETE = """
mutation Delete($id: ID!) { deleteSegment(id: $id) { deletedId errors { code message } } }
"""
ADD = """
mutation Add($id: ID!, $ids: [ID!]!) {
  addSegmentMembers(id: $id, customerIds: $ids) { changed segment { memberCount } errors { code field } }
}
"""
REMOVE = """
mutation Remove($id: ID!, $ids: [ID!]!) {
  removeSegmentMembers(id: $id, customerIds: $ids) { changed segment { memberCount } errors { code field } }
}
"""
CUSTOMERS = "query { customers(first: 50) { nodes { id externalId } } }"


async def shop(owner: Owner) -> None:
    """Five customers: a, b and c ordered twice, d and e once."""
    events = []
    for name in ("a", "b", "c"):
        events += [
            order_event(customer=name, placed_at=days_before(NOW, 10)),
            order_event(customer=name, placed_at=days_before(NOW, 2)),
        ]
    events += [order_event(customer=name, placed_at=days_before(NOW, 4)) for name in ("d", "e")]
    await deliver(owner.tenant.id, events, now=NOW)


async def create(client: ApiClient, owner: Owner, **input: Any) -> dict[str, Any]:
    result = await client.graphql(CREATE, {"input": input}, token=owner.token, tenant=owner.tenant_id)
    return result.ok()["createSegment"]


async def test_preview_counts_and_samples_without_saving(client: ApiClient, db: None) -> None:
    """A preview answers the count, the reachable count, the part count and cost of a message, and a
    sample, and leaves no segment behind."""
    owner = await make_owner()
    await shop(owner)
    # when
    result = await client.graphql(
        PREVIEW, {"definition": REPEAT, "message": "سلام"}, token=owner.token, tenant=owner.tenant_id
    )
    # then: three repeat buyers; they have no phone in this shop, so nobody is reachable
    preview = result.ok()["previewSegment"]
    assert preview["matching"] == 3
    assert preview["parts"] == 1
    assert preview["cost"] == preview["reachable"] * 1 * 1500
    assert sorted(c["externalId"] for c in preview["sample"]) == ["a", "b", "c"]
    listed = await client.graphql(
        "query { segments { nodes { id } } }", token=owner.token, tenant=owner.tenant_id
    )
    assert listed.ok()["segments"]["nodes"] == []


async def test_a_created_segment_pages_through_its_members_without_gaps(client: ApiClient, db: None) -> None:
    """Members come as a cursor connection; following endCursor lists each member once."""
    owner = await make_owner()
    await shop(owner)
    created = await create(client, owner, name="Repeat", definition=REPEAT)
    assert created["errors"] == [] and created["segment"]["memberCount"] == 3
    seen: list[str] = []
    after = None
    while True:
        page = (
            await client.graphql(
                MEMBERS,
                {"id": created["segment"]["id"], "after": after},
                token=owner.token,
                tenant=owner.tenant_id,
            )
        ).ok()["segment"]
        seen += [edge["node"]["customer"]["externalId"] for edge in page["members"]["edges"]]
        if not page["members"]["pageInfo"]["hasNextPage"]:
            break
        after = page["members"]["pageInfo"]["endCursor"]
    assert sorted(seen) == ["a", "b", "c"]
    assert page["sizeHistory"] == [{"size": 3, "entered": 3, "left": 0}]


async def test_creating_twice_answers_the_same_segment(client: ApiClient, db: None) -> None:
    """A retried create (same name, same conditions) is the first segment; other conditions under the
    same name are NAME_TAKEN."""
    owner = await make_owner()
    first = await create(client, owner, name="Repeat", definition=REPEAT)
    again = await create(client, owner, name="Repeat", definition=REPEAT)
    other = await create(
        client,
        owner,
        name="Repeat",
        definition={"version": 1, "match": {"field": "orders_count", "op": "gte", "value": 5}},
    )
    assert again["segment"]["id"] == first["segment"]["id"]
    assert [error["code"] for error in other["errors"]] == ["NAME_TAKEN"]


async def test_bad_definitions_are_typed_errors_that_change_nothing(client: ApiClient, db: None) -> None:
    """Unknown fields, wrong types, deep nesting, huge numbers: INVALID_SEGMENT with the path (NUL is
    refused as INVALID before any resolver, like in every input)."""
    owner = await make_owner()
    deep: dict[str, Any] = {"field": "city", "op": "eq", "value": "x"}
    for _ in range(50):
        deep = {"not": deep}
    cases = [
        {"version": 1, "match": {"field": "no_such", "op": "eq", "value": 1}},
        {"version": 1, "match": {"all": [{"field": "orders_count", "op": "gte", "value": "many"}]}},
        {"version": 1, "match": deep},
        {"version": 1, "match": {"field": "total_spent", "op": "gte", "value": 10**30}},
        {"version": 1, "match": {"field": "city", "op": "eq", "value": "x" * 10_000}},
        {"version": 1, "match": {"all": []}},
        {"version": 1, "match": {"in_segment": "00000000-0000-4000-8000-000000000000"}},
        {"match": {}},
        [],
    ]
    for definition in cases:
        result = await create(client, owner, name="Bad", definition=definition)
        assert [error["code"] for error in result["errors"]] == ["INVALID_SEGMENT"], (definition, result)
    nul = {"version": 1, "match": {"field": "city", "op": "eq", "value": "ab\u0000c"}}
    assert [
        error["code"] for error in (await create(client, owner, name="Bad", definition=nul))["errors"]
    ] == ["INVALID"]
    listed = await client.graphql(
        "query { segments { nodes { id } } }", token=owner.token, tenant=owner.tenant_id
    )
    assert listed.ok()["segments"]["nodes"] == []


async def test_new_conditions_are_a_new_revision_and_move_members(client: ApiClient, db: None) -> None:
    owner = await make_owner()
    await shop(owner)
    created = (await create(client, owner, name="Repeat", definition=REPEAT))["segment"]
    everyone = {"version": 1, "match": {"field": "orders_count", "op": "gte", "value": 1}}
    result = await client.graphql(
        UPDATE,
        {"id": created["id"], "input": {"definition": everyone}},
        token=owner.token,
        tenant=owner.tenant_id,
    )
    assert result.ok()["updateSegment"]["segment"] == {"revision": 2, "memberCount": 5}


async def test_a_segment_in_use_is_not_deleted(client: ApiClient, db: None) -> None:
    """Deleting a segment another segment is defined by is IN_USE, naming the user; then it goes."""
    owner = await make_owner()
    base = (await create(client, owner, name="Repeat", definition=REPEAT))["segment"]
    user = await create(
        client, owner, name="Repeat in Tehran", definition={"version": 1, "match": {"in_segment": base["id"]}}
    )
    refused = await client.graphql(DELETE, {"id": base["id"]}, token=owner.token, tenant=owner.tenant_id)
    [error] = refused.ok()["deleteSegment"]["errors"]
    assert error["code"] == "IN_USE" and "Repeat in Tehran" in error["message"]
    await client.graphql(DELETE, {"id": user["segment"]["id"]}, token=owner.token, tenant=owner.tenant_id)
    done = await client.graphql(DELETE, {"id": base["id"]}, token=owner.token, tenant=owner.tenant_id)
    assert done.ok()["deleteSegment"] == {"deletedId": base["id"], "errors": []}


async def test_static_lists_take_members_once(client: ApiClient, db: None) -> None:
    owner = await make_owner()
    await shop(owner)
    listed = (await client.graphql(CUSTOMERS, token=owner.token, tenant=owner.tenant_id)).ok()
    ids = [node["id"] for node in listed["customers"]["nodes"]][:2]
    segment = (await create(client, owner, name="Hand-picked"))["segment"]
    assert segment["kind"] == "STATIC"
    first = await client.graphql(
        ADD, {"id": segment["id"], "ids": ids}, token=owner.token, tenant=owner.tenant_id
    )
    again = await client.graphql(
        ADD, {"id": segment["id"], "ids": ids}, token=owner.token, tenant=owner.tenant_id
    )
    assert first.ok()["addSegmentMembers"]["changed"] == 2
    assert again.ok()["addSegmentMembers"] == {"changed": 0, "segment": {"memberCount": 2}, "errors": []}
    removed = await client.graphql(
        REMOVE, {"id": segment["id"], "ids": ids[:1]}, token=owner.token, tenant=owner.tenant_id
    )
    assert removed.ok()["removeSegmentMembers"] == {"changed": 1, "segment": {"memberCount": 1}, "errors": []}
    unknown = await client.graphql(
        ADD,
        {"id": segment["id"], "ids": ["00000000-0000-4000-8000-000000000000"]},
        token=owner.token,
        tenant=owner.tenant_id,
    )
    assert [error["code"] for error in unknown.ok()["addSegmentMembers"]["errors"]] == ["NOT_FOUND"]


async def test_analysts_read_segments_but_do_not_write_them(client: ApiClient, db: None) -> None:
    owner = await make_owner()
    await create(client, owner, name="Repeat", definition=REPEAT)
    analyst = await make_owner()
    await tenancy.grant_role(user_id=analyst.user.id, tenant_id=owner.tenant.id, role="analyst")
    token = issue_access_token(analyst.user.id, secret=TEST_SECRET, minutes=30)
    read = await client.graphql("query { segments { nodes { name } } }", token=token, tenant=owner.tenant_id)
    assert read.ok()["segments"]["nodes"] == [{"name": "Repeat"}]
    write = await client.graphql(CREATE, {"input": {"name": "Mine"}}, token=token, tenant=owner.tenant_id)
    assert write.error_codes() == ["FORBIDDEN"]


async def test_another_stores_segment_is_not_found(client: ApiClient, db: None) -> None:
    owner, other = await make_owner(), await make_owner()
    theirs = (await create(client, other, name="Theirs", definition=REPEAT))["segment"]
    result = await client.graphql(MEMBERS, {"id": theirs["id"]}, token=owner.token, tenant=owner.tenant_id)
    assert result.error_codes() == ["NOT_FOUND"]
    deleted = await client.graphql(DELETE, {"id": theirs["id"]}, token=owner.token, tenant=owner.tenant_id)
    assert [error["code"] for error in deleted.ok()["deleteSegment"]["errors"]] == ["NOT_FOUND"]
    using = await create(
        client, owner, name="Sneaky", definition={"version": 1, "match": {"in_segment": theirs["id"]}}
    )
    assert [error["code"] for error in using["errors"]] == ["INVALID_SEGMENT"]
