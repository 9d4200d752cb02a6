"""Every store-owned table can be distributed by tenant_id (Citus), and the ORM still works through its keys.

Citus splits a distributed table by one column and can only enforce what lies within one shard: the primary
key, every unique constraint and unique index must include tenant_id, and so must every foreign key between
two distributed tables; a reference table (copied to every node) may not point at a distributed one. These
tests read PostgreSQL's catalog after the migrations and name each table and constraint that breaks one of
those rules, then show rows are still inserted, updated and deleted (cascades and SET NULL included) through
the composite keys, and that a row can no longer point at another store's row.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from tortoise import Tortoise
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.models import Model

from domain.automation.models import Automation, AutomationRun
from domain.commerce.models import Order, OrderItem, Payment, Refund
from domain.customers.models import Customer
from domain.incentives.models import CreditAccount, CreditEntry
from domain.messaging.models import OutboundMessage
from domain.tenancy.models import Tenant
from tests.support.automation import make_automation, make_customer, make_order, make_tenant

REFERENCE_TABLES = {
    # Tables with a tenant_id that are copied to every node (create_reference_table) instead of split by it,
    # because a request reads them before it knows its store, or because the row may have no store.
    "memberships": "a user's roles in all their stores, read at sign-in; platform roles have no tenant",
    "store_keys": "a request's key is found by its public id, and that is how its store is found",
    "webhook_secrets": "found by the store key's public id, like the key itself",
}
"""Tables without a tenant_id (tenants, users, access_rules) are reference tables too."""

STORE_TABLES = {
    "customers",
    "orders",
    "order_items",
    "refunds",
    "payments",
    "ingested_events",
    "credit_accounts",
    "credit_entries",
    "automations",
    "automation_runs",
    "outbound_messages",
}
"""The store-owned tables at the time of writing; any new table with a tenant_id is checked too."""

TABLES = """
SELECT c.oid, c.relname, a.attnum AS tenant_column, a.attnotnull AS tenant_not_null
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
WHERE n.nspname = $1 AND c.relkind IN ('r', 'p')
"""
PRIMARY_KEYS = """
SELECT con.conrelid
FROM pg_constraint con
JOIN pg_namespace n ON n.oid = con.connamespace
WHERE n.nspname = $1 AND con.contype = 'p'
"""
UNIQUE_INDEXES = """
SELECT i.indrelid, coalesce(con.conname, index.relname) AS name,
       CASE con.contype WHEN 'p' THEN 'primary key' WHEN 'u' THEN 'unique constraint' ELSE 'unique index' END
           AS kind,
       (i.indkey::int2[])[0:i.indnkeyatts - 1] AS columns,
       pg_get_indexdef(i.indexrelid) AS definition
FROM pg_index i
JOIN pg_class index ON index.oid = i.indexrelid
JOIN pg_namespace n ON n.oid = index.relnamespace
LEFT JOIN pg_constraint con ON con.conindid = i.indexrelid AND con.contype IN ('p', 'u')
WHERE n.nspname = $1 AND i.indisunique
"""
FOREIGN_KEYS = """
SELECT con.conrelid, con.confrelid, con.conname, con.conkey, con.confkey,
       pg_get_constraintdef(con.oid) AS definition
FROM pg_constraint con
JOIN pg_namespace n ON n.oid = con.connamespace
WHERE n.nspname = $1 AND con.contype = 'f'
"""


async def distribution_problems(
    connection: BaseDBAsyncClient, *, schema: str = "public", reference_tables: frozenset[str] = frozenset()
) -> tuple[set[str], list[str]]:
    """The store-owned tables of ``schema`` (those with a tenant_id column, except ``reference_tables``)
    and one line per key of theirs that Citus could not distribute by tenant_id."""
    tables = {row["oid"]: row for row in await connection.execute_query_dict(TABLES, [schema])}
    names = {oid: row["relname"] for oid, row in tables.items()}
    distributed = {
        oid: row["tenant_column"]
        for oid, row in tables.items()
        if row["tenant_column"] is not None and row["relname"] not in reference_tables
    }
    problems = [
        f"{names[oid]}: tenant_id may be NULL, and the distribution column may not"
        for oid, row in tables.items()
        if oid in distributed and not row["tenant_not_null"]
    ]
    with_primary_key = {
        row["conrelid"] for row in await connection.execute_query_dict(PRIMARY_KEYS, [schema])
    }
    problems += [f"{names[oid]}: no primary key" for oid in distributed if oid not in with_primary_key]
    for index in await connection.execute_query_dict(UNIQUE_INDEXES, [schema]):
        table = index["indrelid"]
        if table in distributed and distributed[table] not in index["columns"]:
            problems.append(
                f"{names[table]}: {index['kind']} {index['name']} leaves tenant_id out"
                f" ({index['definition']})"
            )
    for key in await connection.execute_query_dict(FOREIGN_KEYS, [schema]):
        source, target = key["conrelid"], key["confrelid"]
        if source in distributed and target in distributed:
            pairs = set(zip(key["conkey"], key["confkey"], strict=True))
            if (distributed[source], distributed[target]) not in pairs:
                problems.append(
                    f"{names[source]}: foreign key {key['conname']} to {names[target]} does not link "
                    f"tenant_id to tenant_id ({key['definition']})"
                )
        elif target in distributed:
            problems.append(
                f"{names[source]}: foreign key {key['conname']} from a reference table to the store-owned "
                f"{names[target]} ({key['definition']})"
            )
    return {names[oid] for oid in distributed}, sorted(problems)


def _connection() -> BaseDBAsyncClient:
    return Tortoise.get_connection("default")


async def test_every_store_table_keeps_tenant_id_in_every_key(db: None) -> None:
    # given: the database the migrations built
    connection = _connection()
    # when
    checked, problems = await distribution_problems(connection, reference_tables=frozenset(REFERENCE_TABLES))
    # then
    assert problems == []
    assert checked >= STORE_TABLES
    with_tenant, _ = await distribution_problems(connection)
    assert set(REFERENCE_TABLES) <= with_tenant, "a reference table listed above no longer exists"


PROBE = """
CREATE SCHEMA distribution_probe;
CREATE TABLE distribution_probe.tenants (id uuid PRIMARY KEY);
CREATE TABLE distribution_probe.lists (
    tenant_id uuid REFERENCES distribution_probe.tenants (id),
    id uuid PRIMARY KEY,
    code text
);
CREATE UNIQUE INDEX lists_code ON distribution_probe.lists (code);
CREATE TABLE distribution_probe.entries (
    tenant_id uuid NOT NULL,
    id uuid,
    list_id uuid REFERENCES distribution_probe.lists (id),
    code text,
    UNIQUE (tenant_id, code)
);
CREATE TABLE distribution_probe.notes (
    id uuid PRIMARY KEY,
    list_id uuid REFERENCES distribution_probe.lists (id)
);
"""


async def test_a_key_that_leaves_tenant_id_out_is_named_with_its_table(migrated_database: str) -> None:
    # given: tables that break each rule once, in a schema of their own
    connection = _connection()
    await connection.execute_script("DROP SCHEMA IF EXISTS distribution_probe CASCADE;" + PROBE)
    try:
        # when
        checked, problems = await distribution_problems(connection, schema="distribution_probe")
    finally:
        await connection.execute_script("DROP SCHEMA distribution_probe CASCADE;")
    # then
    assert checked == {"lists", "entries"}
    assert [problem.split(" (")[0] for problem in problems] == [
        "entries: foreign key entries_list_id_fkey to lists does not link tenant_id to tenant_id",
        "entries: no primary key",
        "lists: primary key lists_pkey leaves tenant_id out",
        "lists: tenant_id may be NULL, and the distribution column may not",
        "lists: unique index lists_code leaves tenant_id out",
        "notes: foreign key notes_list_id_fkey from a reference table to the store-owned lists",
    ]


NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
STORE_MODELS: tuple[type[Model], ...] = (
    Customer,
    Order,
    OrderItem,
    Refund,
    Payment,
    CreditAccount,
    CreditEntry,
    Automation,
    AutomationRun,
    OutboundMessage,
)


async def _a_store_with_everything(tenant: Tenant) -> dict[str, Any]:
    """One row in each store-owned table, linked the way the application links them."""
    customer = await make_customer(tenant)
    order = await make_order(tenant, customer)
    automation = await make_automation(tenant)
    grant = await CreditEntry.create(
        tenant_id=tenant.id,
        customer_id=customer.id,
        order_id=order.id,
        kind="cashback",
        amount=100_000,
        available_at=NOW,
        idempotency_key=f"grant:{order.id}",
    )
    return {
        "customer": customer,
        "order": order,
        "automation": automation,
        "item": await OrderItem.create(tenant_id=tenant.id, order_id=order.id, product_id="88", total=1),
        "refund": await Refund.create(
            tenant_id=tenant.id, order_id=order.id, external_id="r1", amount=1, refunded_at=NOW
        ),
        "payment": await Payment.create(
            tenant_id=tenant.id, order_id=order.id, external_id="p1", amount=1, currency="IRT", paid_at=NOW
        ),
        "account": await CreditAccount.create(
            tenant_id=tenant.id, customer_id=customer.id, available=100_000
        ),
        "grant": grant,
        "reversal": await CreditEntry.create(
            tenant_id=tenant.id,
            customer_id=customer.id,
            reverses_id=grant.id,
            kind="reversal",
            amount=-100_000,
            available_at=NOW,
            idempotency_key=f"reverse:{grant.id}",
        ),
        "run": await AutomationRun.create(
            tenant_id=tenant.id,
            automation_id=automation.id,
            automation_version=1,
            customer_id=customer.id,
            order_id=order.id,
            enrolment_key=f"order:{order.id}",
            due_at=NOW,
        ),
        "message": await OutboundMessage.create(
            tenant_id=tenant.id,
            customer_id=customer.id,
            origin_key="run:1:1",
            purpose="transactional",
            phone="+989121234567",
            body="x",
            encoding="ucs2",
            parts=1,
        ),
    }


async def test_rows_are_updated_through_the_orm_by_id(db: None) -> None:
    # given
    rows = await _a_store_with_everything(await make_tenant())
    account, run = rows["account"], rows["run"]
    # when
    account.available = 5
    await account.save()
    run.state = "done"
    await run.save(update_fields=["state"])
    # then
    assert (await CreditAccount.get(id=account.id)).available == 5
    assert (await AutomationRun.get(id=run.id)).state == "done"
    assert (await run.order).id == rows["order"].id  # a relation fetched by id


async def test_deleting_an_order_removes_its_lines_and_refunds_and_empties_only_the_links_to_it(
    db: None,
) -> None:
    # given
    tenant = await make_tenant()
    rows = await _a_store_with_everything(tenant)
    # when
    await rows["order"].delete()
    # then
    assert not await OrderItem.filter(id=rows["item"].id).exists()
    assert not await Refund.filter(id=rows["refund"].id).exists()
    payment = await Payment.get(id=rows["payment"].id)
    grant = await CreditEntry.get(id=rows["grant"].id)
    run = await AutomationRun.get(id=rows["run"].id)
    assert (payment.order_id, grant.order_id, run.order_id) == (None, None, None)  # type: ignore[attr-defined]
    assert {payment.tenant_id, grant.tenant_id, run.tenant_id} == {tenant.id}  # type: ignore[attr-defined]


async def test_deleting_a_customer_removes_their_ledger_and_runs_and_keeps_orders_and_messages(
    db: None,
) -> None:
    # given
    tenant = await make_tenant()
    rows = await _a_store_with_everything(tenant)
    # when
    await rows["customer"].delete()
    # then
    assert not await CreditAccount.filter(tenant_id=tenant.id).exists()
    assert not await CreditEntry.filter(tenant_id=tenant.id).exists()
    assert not await AutomationRun.filter(tenant_id=tenant.id).exists()
    order = await Order.get(id=rows["order"].id)
    message = await OutboundMessage.get(id=rows["message"].id)
    assert (order.customer_id, message.customer_id) == (None, None)  # type: ignore[attr-defined]
    assert {order.tenant_id, message.tenant_id} == {tenant.id}  # type: ignore[attr-defined]


async def test_deleting_a_reversed_grant_empties_the_reversals_link_only(db: None) -> None:
    # given
    rows = await _a_store_with_everything(await make_tenant())
    # when
    await rows["grant"].delete()
    # then
    reversal = await CreditEntry.get(id=rows["reversal"].id)
    assert (reversal.reverses_id, reversal.amount) == (None, -100_000)  # type: ignore[attr-defined]


async def test_deleting_a_store_deletes_its_rows_and_no_other_stores(db: None) -> None:
    # given
    gone, kept = await make_tenant(name="Gone"), await make_tenant(name="Kept")
    await _a_store_with_everything(gone)
    await _a_store_with_everything(kept)
    # when
    await gone.delete()
    # then
    for model in STORE_MODELS:
        assert await model.filter(tenant_id=gone.id).count() == 0, model.__name__
        assert await model.filter(tenant_id=kept.id).count() > 0, model.__name__


@pytest.mark.parametrize("link", ["order.customer", "item.order", "run.automation", "entry.reverses"])
async def test_a_row_cannot_point_at_another_stores_row(db: None, link: str) -> None:
    # given
    mine, theirs = await make_tenant(name="Mine"), await make_tenant(name="Theirs")
    other = await _a_store_with_everything(theirs)
    customer = await make_customer(mine)
    # when / then: the (tenant_id, x_id) key finds no such row in this store
    with pytest.raises(IntegrityError):
        if link == "order.customer":
            await make_order(mine, other["customer"])
        elif link == "item.order":
            await OrderItem.create(tenant_id=mine.id, order_id=other["order"].id, product_id="1")
        elif link == "run.automation":
            await AutomationRun.create(
                tenant_id=mine.id,
                automation_id=other["automation"].id,
                automation_version=1,
                customer_id=customer.id,
                enrolment_key="x",
                due_at=NOW,
            )
        else:
            await CreditEntry.create(
                tenant_id=mine.id,
                customer_id=customer.id,
                reverses_id=other["grant"].id,
                kind="reversal",
                amount=-1,
                available_at=NOW,
                idempotency_key="x",
            )
