"""Customers for a batch of events: loaded in one statement, resolved in memory, written in two.

Processing a batch of a store's events resolves every customer the events mention — by external id,
else phone, else e-mail (:func:`domain.customers.service.find` does the same for one look-up) —
against rows loaded once for the whole batch, so the cost per event does not depend on how many
customers the store has. :meth:`CustomerBatch.save` then
updates the changed rows and inserts the new ones with one statement each.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields, replace
from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid4

from tortoise.backends.base.client import BaseDBAsyncClient

from domain.customers.calendar import month_and_day
from domain.customers.service import CustomerIn
from domain.errors import DomainError


@dataclass
class CustomerRow:
    """The identity and profile columns of one customer, as the batch leaves them."""

    id: UUID
    created_at: datetime
    external_id: str | None = None
    phone: str | None = None
    email: str | None = None
    first_name: str = ""
    last_name: str = ""
    city: str = ""
    birthday: date | None = None
    birth_month: int | None = None
    birth_day: int | None = None
    marketing_consent: bool = True
    consent_source: str = "unknown"
    consent_changed_at: datetime | None = None


_COLUMNS = tuple(field.name for field in fields(CustomerRow))
_PROFILE = ("email", "first_name", "last_name", "city", "birthday")

_LOAD = f"""
SELECT {", ".join(_COLUMNS)} FROM customers
WHERE tenant_id = $1 AND (external_id = ANY($2::text[]) OR phone = ANY($3::text[]) OR email = ANY($4::text[]))
ORDER BY created_at, id
"""

_TYPES = {
    "id": "uuid",
    "created_at": "timestamptz",
    "external_id": "text",
    "phone": "text",
    "email": "text",
    "first_name": "text",
    "last_name": "text",
    "city": "text",
    "birthday": "date",
    "birth_month": "int2",
    "birth_day": "int2",
    "marketing_consent": "bool",
    "consent_source": "text",
    "consent_changed_at": "timestamptz",
}
_CHANGED = tuple(name for name in _COLUMNS if name not in ("id", "created_at"))
_UNNEST = ", ".join(f"${index + 2}::{_TYPES[name]}[]" for index, name in enumerate(_COLUMNS))

_UPDATE = f"""
UPDATE customers AS c SET {", ".join(f"{name} = u.{name}" for name in _CHANGED)}, updated_at = now()
FROM unnest({_UNNEST}) AS u({", ".join(_COLUMNS)})
WHERE c.tenant_id = $1 AND c.id = u.id
"""

_INSERT = f"""
INSERT INTO customers (tenant_id, {", ".join(_COLUMNS)}, tags, orders_count, total_spent, updated_at)
SELECT $1, {", ".join(f"u.{name}" for name in _COLUMNS)}, '[]'::jsonb, 0, 0, u.created_at
FROM unnest({_UNNEST}) AS u({", ".join(_COLUMNS)})
"""


class CustomerBatch:
    """The customers one batch of events can reach, indexed by what identifies them."""

    def __init__(self, tenant_id: UUID, rows: Iterable[CustomerRow], *, calendar: str = "jalali") -> None:
        self.tenant_id = tenant_id
        self.calendar = calendar
        self._by_external: dict[str, CustomerRow] = {}
        self._by_phone: dict[str, CustomerRow] = {}
        self._by_email: dict[str, list[CustomerRow]] = {}
        self._new: dict[UUID, CustomerRow] = {}
        self._changed: dict[UUID, CustomerRow] = {}
        for row in rows:  # oldest first, so an e-mail shared by two people finds the older one
            self._index(row)

    @classmethod
    async def load(
        cls,
        connection: BaseDBAsyncClient,
        *,
        tenant_id: UUID,
        mentioned: Sequence[CustomerIn],
        calendar: str = "jalali",
    ) -> CustomerBatch:
        """Every stored customer that any of ``mentioned`` could identify, in one statement.

        ``calendar`` is the store's: birthdays are also kept as a month and day in it."""
        external_ids = sorted({c.external_id for c in mentioned if c.external_id})
        phones = sorted({c.phone for c in mentioned if c.phone})
        emails = sorted({c.email for c in mentioned if c.email})
        if not (external_ids or phones or emails):
            return cls(tenant_id, (), calendar=calendar)
        records = await connection.execute_query_dict(_LOAD, [tenant_id, external_ids, phones, emails])
        return cls(tenant_id, (CustomerRow(**record) for record in records), calendar=calendar)

    def upsert(self, customer_in: CustomerIn, *, now: datetime) -> tuple[CustomerRow, bool]:
        """Find the customer these details identify, or create them; fill in what is newly known.

        Returns the row and whether it is new. A phone already held by another customer of the store
        is not moved (phones identify people), so that customer keeps it. Consent the store states for
        the first time, or changes, is stamped with ``now`` and the source ``store``; a customer it
        never stated it for stays ``unknown`` (the store's consent mode decides).
        """
        if not (customer_in.external_id or customer_in.phone or customer_in.email):
            raise DomainError("UNIDENTIFIABLE", "A customer needs an external id, a phone or an e-mail.")
        row = self._find(customer_in)
        created = row is None
        if row is None:
            row = CustomerRow(id=uuid4(), created_at=now)
            self._new[row.id] = row
        before = None if created else replace(row)
        if customer_in.external_id and not row.external_id:
            row.external_id = customer_in.external_id
            self._by_external[row.external_id] = row
        if customer_in.phone and row.phone != customer_in.phone:
            holder = self._by_phone.get(customer_in.phone)
            if holder is None or holder.id == row.id:
                if row.phone and self._by_phone.get(row.phone) is row:
                    del self._by_phone[row.phone]
                row.phone = customer_in.phone
                self._by_phone[row.phone] = row
        for name in _PROFILE:
            value = getattr(customer_in, name)
            if value is None:
                continue
            if name == "email" and value != row.email:
                self._move_email(row, value)
            setattr(row, name, value)
        if customer_in.birthday is not None:
            row.birth_month, row.birth_day = month_and_day(customer_in.birthday, calendar=self.calendar)
        consent = customer_in.marketing_consent  # said: the store's word from now on, yes or no
        if consent is not None and (consent != row.marketing_consent or row.consent_source == "unknown"):
            row.marketing_consent, row.consent_source, row.consent_changed_at = consent, "store", now
        if before is not None and before != row:  # a returning customer often says nothing new
            self._changed[row.id] = row
        return row, created

    def touched(self) -> set[UUID]:
        """The customers this batch created or changed."""
        return set(self._new) | set(self._changed)

    async def save(self, connection: BaseDBAsyncClient) -> None:
        """Write the batch's changes: one UPDATE for known customers, then one INSERT for new ones
        (updates first, so a phone a customer has just given up is free for a newcomer)."""
        if self._changed:
            await connection.execute_query(_UPDATE, [self.tenant_id, *_arrays(self._changed.values())])
        if self._new:
            await connection.execute_query(_INSERT, [self.tenant_id, *_arrays(self._new.values())])

    def _find(self, customer_in: CustomerIn) -> CustomerRow | None:
        if customer_in.external_id and customer_in.external_id in self._by_external:
            return self._by_external[customer_in.external_id]
        if customer_in.phone and customer_in.phone in self._by_phone:
            return self._by_phone[customer_in.phone]
        if customer_in.email and self._by_email.get(customer_in.email):
            return self._by_email[customer_in.email][0]
        return None

    def _index(self, row: CustomerRow) -> None:
        if row.external_id:
            self._by_external[row.external_id] = row
        if row.phone:
            self._by_phone[row.phone] = row
        if row.email:
            self._by_email.setdefault(row.email, []).append(row)

    def _move_email(self, row: CustomerRow, email: str) -> None:
        if row.email and row in self._by_email.get(row.email, []):
            self._by_email[row.email].remove(row)
        holders = self._by_email.setdefault(email, [])
        holders.append(row)
        holders.sort(key=lambda holder: holder.created_at)


def _arrays(rows: Iterable[CustomerRow]) -> list[list[Any]]:
    """One array per column, in ``_COLUMNS`` order (``unnest`` turns them back into rows)."""
    listed = list(rows)
    return [[getattr(row, name) for row in listed] for name in _COLUMNS]
