"""A segment before it is saved: how many customers match, who some of them are, and what texting all
of them would cost."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final
from uuid import UUID
from zoneinfo import ZoneInfo

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from domain.customers.models import Customer
from domain.errors import DomainError
from domain.intelligence.store import load
from domain.messaging.consent import MARKETING_ALLOWED_SQL
from domain.messaging.formatting import with_footer
from domain.messaging.parts import count_parts
from domain.segments.compiler import Clock, Compiler, Scope
from domain.segments.definition import Definition
from domain.segments.refresh import NO_JIT
from domain.segments.service import validated
from domain.tenancy.models import Tenant

MAX_SAMPLE: Final = 100
MAX_MESSAGE: Final = 1_000

_COUNT = (
    """
SELECT count(*) AS matching,
       count(*) FILTER (WHERE c.phone IS NOT NULL AND """
    + MARKETING_ALLOWED_SQL  # the store's consent rule and its suppression list
    + """) AS reachable
FROM customers AS c WHERE c.tenant_id = $1 AND {condition}
"""
)
_SAMPLE = """
SELECT c.id FROM customers AS c WHERE c.tenant_id = $1 AND {condition}
ORDER BY c.last_order_at DESC NULLS LAST, c.id LIMIT {limit}
"""


@dataclass(frozen=True)
class Preview:
    """What a definition selects now. ``reachable`` customers have a phone and may get marketing
    (:mod:`domain.messaging.consent`: consent by the store's rule, phone not suppressed);
    ``cost`` is ``reachable × parts × part_price``, in the currency of ``part_price``."""

    matching: int
    reachable: int
    sample: list[Customer]
    parts: int
    cost: int


async def preview(
    *,
    tenant_id: UUID,
    definition: object,
    now: datetime,
    sample: int = 20,
    message: str | None = None,
    part_price: int = 0,
) -> Preview:
    """Count and sample the customers ``definition`` selects, writing nothing. ``message`` (with the
    opt-out footer every marketing SMS carries) sets the part count; without one, one part."""
    if not 0 <= sample <= MAX_SAMPLE:
        raise DomainError("INVALID", f"A sample has 0 to {MAX_SAMPLE} customers.", field="sample")
    parts = 1
    if message is not None:
        if len(message) > MAX_MESSAGE:
            raise DomainError("INVALID", f"A message has at most {MAX_MESSAGE} characters.", field="message")
        if not message.strip():  # the footer alone is not a message
            raise DomainError("EMPTY_MESSAGE", "The message is empty.", field="message")
        parts = count_parts(with_footer(message, "marketing")).parts
    parsed = await validated(tenant_id=tenant_id, raw=definition, segment_id=None)
    tenant = await Tenant.get(id=tenant_id)
    async with in_transaction() as connection:
        await connection.execute_query(NO_JIT)
        return await _preview(connection, tenant_id, parsed, tenant.timezone, now, sample, parts, part_price)


async def _preview(
    connection: BaseDBAsyncClient,
    tenant_id: UUID,
    parsed: Definition,
    timezone: str,
    now: datetime,
    sample: int,
    parts: int,
    part_price: int,
) -> Preview:
    model = (await load(connection, tenant_id=tenant_id)).parameters
    compiler = Compiler(tenant_id, Clock(now=now, timezone=ZoneInfo(timezone)), Scope.ALL, model)
    condition = compiler.condition(parsed)
    [counts] = await connection.execute_query_dict(
        _COUNT.format(condition=condition), compiler.parameters.values
    )
    customers: list[Customer] = []
    if sample:
        rows = await connection.execute_query_dict(
            _SAMPLE.format(condition=condition, limit=sample), compiler.parameters.values
        )
        ids = [row["id"] for row in rows]
        found = {
            customer.id: customer
            for customer in await Customer.filter(tenant_id=tenant_id, id__in=ids).using_db(connection)
        }
        customers = [found[customer_id] for customer_id in ids if customer_id in found]
    reachable = int(counts["reachable"])
    return Preview(int(counts["matching"]), reachable, customers, parts, reachable * parts * part_price)
