"""A static list filled from a CSV file of the store's customers, named by external id, phone or e-mail.

All or nothing, like every import: a line that names nobody the store knows (or names nobody at all)
is reported with its line and column, and then no one is added.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Final
from uuid import UUID

from tortoise import connections

from domain.customers.service import identity_email, safe_phone
from domain.errors import DomainError
from domain.imports.table import Columns, RejectedRow, Row, read_table
from domain.segments.service import get, put_members
from domain.tenancy.models import Tenant

COLUMNS: Final = Columns(
    allowed=("external_id", "phone", "email"), one_of=frozenset({"external_id", "phone", "email"})
)
MAX_REPORTED: Final = 1_000

_FIND = """
SELECT id, external_id, phone, email FROM customers
WHERE tenant_id = $1 AND (external_id = ANY($2::text[]) OR phone = ANY($3::text[]) OR email = ANY($4::text[]))
"""


@dataclass(frozen=True)
class MemberImport:
    """What became of a list file: customers added (or already there), or the lines at fault."""

    rows: int = 0
    added: int = 0
    already: int = 0
    rejected: list[RejectedRow] = field(default_factory=list)


async def import_members(*, tenant_id: UUID, segment_id: UUID, content: bytes, now: datetime) -> MemberImport:
    """Add the customers a CSV file names to a static list; nobody when any line is at fault."""
    segment = await get(tenant_id=tenant_id, segment_id=segment_id)
    if segment.kind != "static":
        raise DomainError("NOT_STATIC", "Only static lists take members from a file.", field="id")
    table = read_table(content, columns=COLUMNS)
    if table.problems:
        return MemberImport(rows=table.read, rejected=table.problems[:MAX_REPORTED])
    country = (await Tenant.get(id=tenant_id)).country
    wanted = [(row, _identity(row, country)) for row in table.rows]
    found = await _customers(tenant_id, [identity for _, identity in wanted])
    ids: list[UUID] = []
    problems: list[RejectedRow] = []
    for row, (external_id, phone, email) in wanted:
        customer = (
            found.get(("external_id", external_id))
            or found.get(("phone", phone))
            or found.get(("email", email))
        )
        if customer is None:
            problems.append(
                RejectedRow(row.line, _first_column(row), "No customer of the store has these details.")
            )
        else:
            ids.append(customer)
    if problems:
        return MemberImport(rows=table.read, rejected=problems[:MAX_REPORTED])
    added = await put_members(segment, sorted(set(ids)), now=now)
    return MemberImport(rows=table.read, added=added, already=len(set(ids)) - added)


def _identity(row: Row, country: str) -> tuple[str | None, str | None, str | None]:
    return (
        row.get("external_id") or None,
        safe_phone(row.get("phone") or None, country=country),
        identity_email(row.get("email")),
    )


def _first_column(row: Row) -> str | None:
    return next((column for column in COLUMNS.allowed if row.get(column)), None)


async def _customers(
    tenant_id: UUID, identities: list[tuple[str | None, str | None, str | None]]
) -> dict[tuple[str, str | None], UUID]:
    """The store's customers with any of these identities, by (kind, value), in one statement."""
    external_ids = sorted({i[0] for i in identities if i[0]})
    phones = sorted({i[1] for i in identities if i[1]})
    emails = sorted({i[2] for i in identities if i[2]})
    rows = await connections.get("default").execute_query_dict(
        _FIND, [tenant_id, external_ids, phones, emails]
    )
    found: dict[tuple[str, str | None], UUID] = {}
    for row in rows:
        for kind in ("external_id", "phone", "email"):
            if row[kind]:
                found.setdefault((kind, row[kind]), row["id"])
    return found
