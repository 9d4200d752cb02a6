"""The orders list reads its page from the (tenant_id, created_at, id) index: PostgreSQL walks the index
backwards and stops after one page, instead of reading and sorting the store's whole table."""

from __future__ import annotations

from datetime import timedelta

import pytest
from tortoise import Tortoise

from graph.core.pagination import _encode, page_query
from graph.customers.queries import orders_of
from tests.support.commerce import START, make_orders
from tests.support.factories import make_owner

INDEX_COLUMNS = "(tenant_id, created_at, id)"


async def _plan(sql: str) -> str:
    connection = Tortoise.get_connection("default")
    rows = await connection.execute_query_dict(f"EXPLAIN {sql}")
    return "\n".join(row["QUERY PLAN"] for row in rows)


async def _list_index() -> str:
    connection = Tortoise.get_connection("default")
    rows = await connection.execute_query_dict(
        "SELECT indexname FROM pg_indexes WHERE tablename = 'orders' AND indexdef LIKE $1",
        [f"%{INDEX_COLUMNS}"],
    )
    assert rows, f"no index on orders {INDEX_COLUMNS}"
    return str(rows[0]["indexname"])


@pytest.mark.parametrize("cursor", [False, True], ids=["first page", "after a cursor"])
async def test_the_orders_page_is_read_from_the_index_without_sorting(db: None, cursor: bool) -> None:
    """EXPLAIN of the list's own statement over 4,500 analysed orders of three stores: an index scan on
    the list index, and no Sort node."""
    # given: three stores of 1,500 orders each, and fresh statistics
    stores = [(await make_owner()).tenant.id for _ in range(3)]
    for store in stores:
        await make_orders(store, 1500, lines=0)
    await Tortoise.get_connection("default").execute_script("ANALYZE orders")
    after = _encode(START + timedelta(minutes=1000), stores[1]) if cursor else None
    sql = page_query(orders_of(stores[1], customer_id=None, status=None), size=50, after=after).sql(
        params_inline=True
    )
    # when
    plan = await _plan(sql)
    # then
    assert f"Index Scan Backward using {await _list_index()}" in plan, plan
    assert "Sort" not in plan, plan
