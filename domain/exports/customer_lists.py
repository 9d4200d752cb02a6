"""Which customers an export holds, read in chunks: constant memory whatever the store's size.

A selection is all of a store's customers, those a search matches (name, phone or e-mail, as the
``customers`` query matches them), the current members of a segment, or a segment's members a search
matches. Chunks are read by keyset on the customer id, one parameterised statement per chunk, along the
``customers`` primary key (tenant_id, id) or, for a segment, the index of its open memberships
(tenant_id, segment_id, customer_id) WHERE left_at IS NULL: no transaction stays open while the file is
sent, and no offset is counted past.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Final
from uuid import UUID
from zoneinfo import ZoneInfo

import orjson
from tortoise import Tortoise

from domain.commerce.money import exponent
from domain.customers.phones import normalise_digits
from domain.errors import NotFound
from domain.intelligence import bgnbd, prediction
from domain.intelligence.store import load
from domain.messaging import consent
from domain.segments.models import Segment
from domain.tenancy.service import get_tenant

CHUNK_SIZE: Final = 1_000

COLUMNS: Final = (
    "id",
    "external_id",
    "first_name",
    "last_name",
    "phone",
    "email",
    "city",
    "birthday",
    "marketing_consent",
    "consent_source",
    "consents_to_marketing",
    "tags",
    "orders_count",
    "total_spent",
    "average_order_value",
    "first_order_at",
    "last_order_at",
    "recency_score",
    "frequency_score",
    "monetary_score",
    "lifecycle_stage",
    "probability_active",
    "expected_next_order_at",
    "created_at",
)
"""The columns of an export, in order. Amounts are in major units of the store's currency; times are
in the store's time zone."""

_MONEY: Final = frozenset({"total_spent", "average_order_value"})
_TIMES: Final = frozenset({"first_order_at", "last_order_at", "expected_next_order_at", "created_at"})
_START: Final = UUID(int=0)
"""Below every customer id: where the first chunk starts."""

_COMPUTED: Final = ("consents_to_marketing", "probability_active", "expected_next_order_at")
"""Computed for the moment of the export from the row, the store's consent rule and its purchase model."""
_SELECT: Final = "SELECT " + ", ".join(f"c.{column}" for column in COLUMNS if column not in _COMPUTED)
_ALL: Final = f"{_SELECT} FROM customers c WHERE c.tenant_id = $1 AND c.id > $2"
_MEMBERS: Final = (
    f"{_SELECT} FROM segment_memberships m"
    " JOIN customers c ON c.tenant_id = m.tenant_id AND c.id = m.customer_id"
    " WHERE m.tenant_id = $1 AND m.customer_id > $2 AND m.segment_id = $4 AND m.left_at IS NULL"
)


def _search(text: int, phone: int) -> str:
    return (
        f" AND (UPPER(c.first_name) LIKE UPPER(${text}) OR UPPER(c.last_name) LIKE UPPER(${text})"
        f" OR UPPER(c.email) LIKE UPPER(${text}) OR c.phone LIKE ${phone})"
    )


_STATEMENTS: Final = {
    (False, False): f"{_ALL} ORDER BY c.id LIMIT $3",
    (False, True): f"{_ALL}{_search(4, 5)} ORDER BY c.id LIMIT $3",
    (True, False): f"{_MEMBERS} ORDER BY m.customer_id LIMIT $3",
    (True, True): f"{_MEMBERS}{_search(5, 6)} ORDER BY m.customer_id LIMIT $3",
}
"""One statement per kind of selection (segment?, search?): tenant, after, limit, then the segment, then
the search's two patterns (text, phone). The search matches as the ``customers`` query's filters do:
name or e-mail containing the text in any letter case, or the phone containing it without leading zeros."""


@dataclass(frozen=True, slots=True)
class Selection:
    """Which customers: a segment's current members and/or those ``search`` matches; else all."""

    segment_id: UUID | None = None
    search: str | None = None


@dataclass(frozen=True, slots=True)
class CustomerExport:
    """A checked selection of one store, ready to be read; ``timezone`` is the store's."""

    tenant_id: UUID
    selection: Selection
    timezone: ZoneInfo
    currency_exponent: int
    consent_mode: str = consent.OPT_IN
    model: bgnbd.Parameters = bgnbd.PRIORS
    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    async def chunks(self, *, size: int = CHUNK_SIZE) -> AsyncIterator[list[dict[str, Any]]]:
        """The selected customers by id, ``size`` at a time, as values of :data:`COLUMNS`."""
        connection = Tortoise.get_connection("default")
        statement = _STATEMENTS[(self.selection.segment_id is not None, _term(self.selection) is not None)]
        after = _START
        while True:
            rows = await connection.execute_query_dict(statement, self._parameters(after, size))
            if not rows:
                return
            yield [self._values(row) for row in rows]
            if len(rows) < size:
                return
            after = rows[-1]["id"]

    def _parameters(self, after: UUID, size: int) -> list[Any]:
        parameters: list[Any] = [self.tenant_id, after, size]
        if self.selection.segment_id is not None:
            parameters.append(self.selection.segment_id)
        term = _term(self.selection)
        if term is not None:
            parameters += [f"%{_escape_like(term)}%", f"%{_escape_like(term.lstrip('0'))}%"]
        return parameters

    def _values(self, row: dict[str, Any]) -> dict[str, Any]:
        history = {"orders": row["orders_count"], "first": row["first_order_at"], "now": self.now}
        said, source = row["marketing_consent"], row["consent_source"]
        computed: dict[str, Any] = {
            "consents_to_marketing": consent.consents(
                said=said, source=source, consent_mode=self.consent_mode
            ),
            "probability_active": prediction.probability_active(
                self.model, last=row["last_order_at"], **history
            ),
            "expected_next_order_at": prediction.expected_next_order(self.model, **history),
        }
        values = {column: computed[column] if column in computed else row[column] for column in COLUMNS}
        for column in _MONEY:
            values[column] = Decimal(values[column]).scaleb(-self.currency_exponent)
        for column in _TIMES:
            moment: datetime | None = values[column]
            values[column] = moment.astimezone(self.timezone) if moment else None
        tags = values["tags"]
        values["tags"] = orjson.loads(tags) if isinstance(tags, str) else tags or []
        return values


async def open_export(*, tenant_id: UUID, selection: Selection) -> CustomerExport:
    """Check the selection (a segment must be the store's: else ``NotFound`` on ``segment``) before the
    first byte of the file is sent."""
    tenant = await get_tenant(tenant_id=tenant_id)
    if (
        selection.segment_id is not None
        and not await Segment.filter(tenant_id=tenant_id, id=selection.segment_id).exists()
    ):
        raise NotFound("Segment", field="segment")
    model = (await load(Tortoise.get_connection("default"), tenant_id=tenant_id)).parameters
    return CustomerExport(
        tenant_id,
        selection,
        ZoneInfo(tenant.timezone),
        exponent(tenant.currency),
        consent.mode(tenant),
        model,
    )


def _term(selection: Selection) -> str | None:
    """The search as the ``customers`` query reads it: trimmed, Persian and Arabic digits as ASCII."""
    if selection.search is None or not selection.search.strip():
        return None
    return normalise_digits(selection.search.strip())


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
