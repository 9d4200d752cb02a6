"""Federation references go through the request's loaders: all a gateway's customer references in one
statement, and only within stores the caller may read."""

from __future__ import annotations

from tests.support.api import ApiClient
from tests.support.commerce import make_customers
from tests.support.factories import make_owner
from tests.support.statements import recorded_statements

ENTITIES = """
query($reps: [_Any!]!) {
  _entities(representations: $reps) { ... on Customer { id firstName } ... on Tenant { id name } }
}
"""


def _customers(*ids: object) -> list[dict[str, str]]:
    return [{"__typename": "Customer", "id": str(key)} for key in ids]


async def test_customer_references_are_loaded_together_and_another_stores_are_null(client: ApiClient) -> None:
    """Four references (three of the caller's store, one of another store): one statement for them all
    besides authentication, the caller's customers answered in order and the stranger null."""
    # given
    owner = await make_owner()
    stranger = await make_owner()
    mine = await make_customers(owner.tenant.id, 3)
    [theirs] = await make_customers(stranger.tenant.id, 1)
    reps = _customers(mine[2].id, theirs.id, mine[0].id, mine[1].id)
    # when
    with recorded_statements() as statements:
        result = await client.graphql(ENTITIES, {"reps": reps}, token=owner.token)
    # then
    entities = result.ok()["_entities"]
    assert entities == [
        {"id": str(mine[2].id), "firstName": mine[2].first_name},
        None,
        {"id": str(mine[0].id), "firstName": mine[0].first_name},
        {"id": str(mine[1].id), "firstName": mine[1].first_name},
    ]
    assert len(statements) == 2, statements


async def test_one_reference_or_many_cost_the_same(client: ApiClient) -> None:
    """The number of statements does not grow with the number of references."""
    # given
    owner = await make_owner()
    customers = await make_customers(owner.tenant.id, 10)
    # when
    with recorded_statements() as one:
        (await client.graphql(ENTITIES, {"reps": _customers(customers[0].id)}, token=owner.token)).ok()
    with recorded_statements() as ten:
        reps = _customers(*(customer.id for customer in customers))
        (await client.graphql(ENTITIES, {"reps": reps}, token=owner.token)).ok()
    # then
    assert len(ten) == len(one)


async def test_store_references_load_through_the_loader_and_another_store_is_null(client: ApiClient) -> None:
    """Tenant references: the caller's store answered, another store null (permission checked first)."""
    # given
    owner = await make_owner(store="Mine")
    stranger = await make_owner(store="Theirs")
    reps = [
        {"__typename": "Tenant", "id": owner.tenant_id},
        {"__typename": "Tenant", "id": stranger.tenant_id},
    ]
    # when
    with recorded_statements() as statements:
        result = await client.graphql(ENTITIES, {"reps": reps}, token=owner.token)
    # then
    assert result.ok()["_entities"] == [{"id": owner.tenant_id, "name": "Mine"}, None]
    assert len(statements) == 2, statements
