"""Lists cost a small, fixed number of SQL statements whatever the page size: a page's nested fields
(an order's lines) are loaded for the whole page at once, never one query per node."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.api import ApiClient
from tests.support.commerce import make_customers, make_orders
from tests.support.factories import make_owner
from tests.support.statements import recorded_statements

ORDERS = """
query($first: Int!) {
  orders(first: $first) {
    nodes { number customerId items { productId quantity total } }
    pageInfo { hasNextPage endCursor }
  }
}
"""
CUSTOMERS = """
query($first: Int!) {
  customers(first: $first) { nodes { id firstName phone } pageInfo { hasNextPage } }
}
"""


async def _statements(client: ApiClient, query: str, first: int, token: str) -> tuple[list[str], Any]:
    with recorded_statements() as statements:
        data = (await client.graphql(query, {"first": first}, token=token)).ok()
    return statements, data


async def test_orders_with_their_lines_take_the_same_few_statements_for_5_or_50_orders(
    client: ApiClient,
) -> None:
    """Authentication, the page and all its orders' lines: three statements for 5 orders as for 50."""
    # given: a store with 60 orders of 2 lines each, and another store with orders of its own
    owner = await make_owner()
    await make_orders(owner.tenant.id, 60, lines=2)
    other = await make_owner()
    await make_orders(other.tenant.id, 10, lines=1)
    # when
    few, small = await _statements(client, ORDERS, 5, owner.token)
    many, large = await _statements(client, ORDERS, 50, owner.token)
    # then: the same statements, whatever the page size
    assert len(many) == len(few) == 3, many
    # and every order came with its own lines, newest order first
    nodes = large["orders"]["nodes"]
    assert [node["number"] for node in nodes] == [str(number) for number in range(59, 9, -1)]
    for node in nodes:
        lines = sorted(item["productId"] for item in node["items"])
        assert lines == [f"{node['number']}-0", f"{node['number']}-1"]
    assert small["orders"]["nodes"] == nodes[:5]
    assert large["orders"]["pageInfo"]["hasNextPage"] is True


async def test_the_next_page_of_orders_costs_the_same(client: ApiClient) -> None:
    """A page after a cursor is one statement too (plus authentication and the lines)."""
    # given
    owner = await make_owner()
    await make_orders(owner.tenant.id, 30, lines=1)
    first_page = (await client.graphql(ORDERS, {"first": 20}, token=owner.token)).ok()["orders"]
    after = first_page["pageInfo"]["endCursor"]
    query = ORDERS.replace("($first: Int!)", "($first: Int!, $after: String)").replace(
        "orders(first: $first)", "orders(first: $first, after: $after)"
    )
    # when
    with recorded_statements() as statements:
        rest = (await client.graphql(query, {"first": 20, "after": after}, token=owner.token)).ok()["orders"]
    # then
    assert len(statements) == 3, statements
    assert [node["number"] for node in rest["nodes"]] == [str(number) for number in range(9, -1, -1)]
    assert rest["pageInfo"]["hasNextPage"] is False


@pytest.mark.parametrize("first", [1, 50])
async def test_customers_take_two_statements_whatever_the_page_size(client: ApiClient, first: int) -> None:
    """Authentication and the page: nothing per customer."""
    # given
    owner = await make_owner()
    await make_customers(owner.tenant.id, 60)
    # when
    statements, data = await _statements(client, CUSTOMERS, first, owner.token)
    # then
    assert len(statements) == 2, statements
    assert len(data["customers"]["nodes"]) == first


async def test_a_list_query_writes_nothing(client: ApiClient) -> None:
    """Reading a list is reads only: no statement of the request inserts, updates or deletes."""
    # given
    owner = await make_owner()
    await make_orders(owner.tenant.id, 3)
    # when
    with recorded_statements() as statements:
        (await client.graphql(ORDERS, {"first": 3}, token=owner.token)).ok()
        (await client.graphql(CUSTOMERS, {"first": 3}, token=owner.token)).ok()
    # then
    assert statements
    assert all(statement.lstrip().upper().startswith("SELECT") for statement in statements), statements
