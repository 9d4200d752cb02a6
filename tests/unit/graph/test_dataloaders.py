"""The request's loaders: one statement per batch, answers in the order asked, and never a row of
another store than the one in the key."""

from __future__ import annotations

import asyncio
import uuid

from graph.core.dataloaders import DataLoaders
from permissions.enforcer import load_enforcer
from permissions.principal import ANONYMOUS, Principal
from tests.support.commerce import make_customers, make_orders
from tests.support.factories import make_owner
from tests.support.statements import recorded_statements


def _owner_of(tenant_id: uuid.UUID) -> Principal:
    return Principal(kind="user", id=uuid.uuid4(), roles={str(tenant_id): frozenset({"owner"})})


async def test_customers_come_back_in_key_order_from_one_statement(db: None) -> None:
    """Three customers asked for at once: one SELECT, each answer where its key was."""
    # given
    store = (await make_owner()).tenant.id
    first, second, third = await make_customers(store, 3)
    loaders = DataLoaders.for_request(_owner_of(store))
    # when
    with recorded_statements() as statements:
        found = await loaders.customers.load_many([(store, third.id), (store, first.id), (store, second.id)])
    # then
    assert len(statements) == 1
    assert [customer.id if customer else None for customer in found] == [third.id, first.id, second.id]


async def test_another_stores_ids_resolve_to_nothing(db: None) -> None:
    """A customer, order or order's lines asked for under the wrong store are None (or no lines), exactly
    like ids that do not exist, while the store's own rows in the same batch are found."""
    # given
    mine = (await make_owner()).tenant.id
    theirs = (await make_owner()).tenant.id
    [my_customer] = await make_customers(mine, 1)
    [their_customer] = await make_customers(theirs, 1)
    [my_order] = await make_orders(mine, 1, lines=2)
    [their_order] = await make_orders(theirs, 1, lines=2)
    loaders = DataLoaders.for_request(_owner_of(mine))
    # when
    customers = await loaders.customers.load_many(
        [(mine, their_customer.id), (mine, my_customer.id), (mine, uuid.uuid4())]
    )
    orders = await loaders.orders.load_many([(mine, their_order.id), (mine, my_order.id)])
    lines = await loaders.order_items.load_many([(mine, their_order.id), (mine, my_order.id)])
    # then
    assert customers[0] is None and customers[2] is None
    assert customers[1] is not None and customers[1].id == my_customer.id
    assert orders[0] is None
    assert orders[1] is not None and orders[1].id == my_order.id
    assert lines[0] == []
    assert {line.order_id for line in lines[1]} == {my_order.id}  # type: ignore[attr-defined]
    assert len(lines[1]) == 2


async def test_order_lines_of_a_whole_page_are_one_statement(db: None) -> None:
    """Every order of a page asks for its lines on its own; the loader sends one SELECT for them all."""
    # given
    store = (await make_owner()).tenant.id
    orders = await make_orders(store, 20, lines=3)
    loaders = DataLoaders.for_request(_owner_of(store))
    # when
    with recorded_statements() as statements:
        lines = await asyncio.gather(*(loaders.order_items.load((store, order.id)) for order in orders))
    # then
    assert len(statements) == 1
    assert [{line.order_id for line in each} for each in lines] == [{order.id} for order in orders]  # type: ignore[attr-defined]


async def test_customer_references_answer_only_within_stores_the_principal_may_read(db: None) -> None:
    """A reference names no store: the reference loader finds the principal's store's customers and
    answers None for another store's, in one statement."""
    # given: the policy loaded as at start-up
    await load_enforcer()
    mine = (await make_owner()).tenant.id
    theirs = (await make_owner()).tenant.id
    [my_customer] = await make_customers(mine, 1)
    [their_customer] = await make_customers(theirs, 1)
    loaders = DataLoaders.for_request(_owner_of(mine))
    # when
    with recorded_statements() as statements:
        found = await loaders.customer_references.load_many([their_customer.id, my_customer.id])
    # then
    assert len(statements) == 1
    assert found[0] is None
    assert found[1] is not None and found[1].id == my_customer.id


async def test_loaders_belong_to_one_request(db: None) -> None:
    """Each request builds its own loaders, so a row cached for one request is never served to another."""
    # given
    store = (await make_owner()).tenant.id
    [customer] = await make_customers(store, 1)
    first = DataLoaders.for_request(_owner_of(store))
    second = DataLoaders.for_request(_owner_of(store))
    await first.customers.load((store, customer.id))
    # when
    with recorded_statements() as statements:
        await second.customers.load((store, customer.id))
    # then
    assert len(statements) == 1


async def test_references_asked_by_nobody_find_nothing_without_a_query(db: None) -> None:
    """A caller with no role in any store gets None for every reference, and no statement is sent."""
    # given
    [customer] = await make_customers((await make_owner()).tenant.id, 1)
    loaders = DataLoaders.for_request(ANONYMOUS)
    # when
    with recorded_statements() as statements:
        found = await loaders.customer_references.load_many([customer.id, uuid.uuid4()])
    # then
    assert found == [None, None]
    assert statements == []
