"""tenant_id in every key of a store's tables, as Citus needs to distribute them by tenant_id: the primary
keys become (tenant_id, id), the links between store tables (tenant_id, x_id) → (tenant_id, id), and the
last two unique constraints without tenant_id get it (an automation's runs per enrolment key; one credit
account per customer).

The ORM still addresses rows by ``id`` alone (``save()``, ``delete()``, fetching a relation), so each of
these tables keeps a plain index on ``id``. A deleted customer or order still empties only its own column
in the rows that point at it (``SET NULL (customer_id)``, PostgreSQL 15 or newer), never their tenant_id.

The global tables (tenants, users, access_rules) and the tables a request reads before it knows its
store (memberships, store_keys, webhook_secrets) keep their keys: they become reference tables.

``CreditAccount.customer`` stays a OneToOneField in the model; in the database its uniqueness is now the
(tenant_id, customer_id) constraint, and the one on customer_id alone is dropped.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.migrations.constraints import UniqueConstraint

STORE_TABLES = (
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
)

# (table, column, referenced table, what a delete of the referenced row does), as 0001 made them.
LINKS = (
    ("orders", "customer_id", "customers", "SET NULL"),
    ("order_items", "order_id", "orders", "CASCADE"),
    ("refunds", "order_id", "orders", "CASCADE"),
    ("payments", "order_id", "orders", "SET NULL"),
    ("credit_accounts", "customer_id", "customers", "CASCADE"),
    ("credit_entries", "customer_id", "customers", "CASCADE"),
    ("credit_entries", "order_id", "orders", "SET NULL"),
    ("credit_entries", "reverses_id", "credit_entries", "SET NULL"),
    ("automation_runs", "automation_id", "automations", "CASCADE"),
    ("automation_runs", "customer_id", "customers", "CASCADE"),
    ("automation_runs", "order_id", "orders", "SET NULL"),
    ("outbound_messages", "customer_id", "customers", "SET NULL"),
)


def _by_tenant() -> list[str]:
    statements = [f"ALTER TABLE {table} DROP CONSTRAINT {table}_{column}_fkey" for table, column, _, _ in LINKS]
    for table in STORE_TABLES:
        statements += [
            f"ALTER TABLE {table} DROP CONSTRAINT {table}_pkey",
            f"ALTER TABLE {table} ADD CONSTRAINT {table}_pkey PRIMARY KEY (tenant_id, id)",
            f"CREATE INDEX {table}_id_idx ON {table} (id)",
        ]
    # (tenant_id, customer_id) is unique now (the constraint added above); customer_id alone no longer is.
    statements.append("ALTER TABLE credit_accounts DROP CONSTRAINT credit_accounts_customer_id_key")
    for table, column, target, on_delete in LINKS:
        action = f"SET NULL ({column})" if on_delete == "SET NULL" else on_delete
        statements.append(
            f"ALTER TABLE {table} ADD CONSTRAINT {table}_{column}_fkey FOREIGN KEY (tenant_id, {column})"
            f" REFERENCES {target} (tenant_id, id) ON DELETE {action}"
        )
    return statements


def _by_id() -> list[str]:
    statements = [f"ALTER TABLE {table} DROP CONSTRAINT {table}_{column}_fkey" for table, column, _, _ in LINKS]
    statements.append(
        "ALTER TABLE credit_accounts ADD CONSTRAINT credit_accounts_customer_id_key UNIQUE (customer_id)"
    )
    for table in STORE_TABLES:
        statements += [
            f"DROP INDEX {table}_id_idx",
            f"ALTER TABLE {table} DROP CONSTRAINT {table}_pkey",
            f"ALTER TABLE {table} ADD CONSTRAINT {table}_pkey PRIMARY KEY (id)",
        ]
    for table, column, target, on_delete in LINKS:
        statements.append(
            f"ALTER TABLE {table} ADD CONSTRAINT {table}_{column}_fkey FOREIGN KEY ({column})"
            f" REFERENCES {target} (id) ON DELETE {on_delete}"
        )
    return statements


class Migration(migrations.Migration):
    dependencies = [('revisit', '0004_hot_path_indexes')]

    initial = False

    operations = [
        ops.RemoveConstraint(
            model_name='AutomationRun',
            name=None,
            fields=['automation', 'enrolment_key'],
        ),
        ops.AddConstraint(
            model_name='AutomationRun',
            constraint=UniqueConstraint(fields=('tenant', 'automation', 'enrolment_key'), name=None),
        ),
        ops.AddConstraint(
            model_name='CreditAccount',
            constraint=UniqueConstraint(fields=('tenant', 'customer'), name=None),
        ),
        ops.RunSQL(_by_tenant(), reverse_sql=_by_id()),
    ]
