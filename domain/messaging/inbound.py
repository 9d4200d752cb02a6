"""Inbound SMS: what customers send to a store's line, kept once each and checked for opt-outs.

Messages arrive polled (the provider's receive API) or posted to a callback; both end in :func:`receive`.
Each is stored as an :class:`~domain.messaging.models.InboundMessage`, unique per store and provider message
id, and — the first time only — passed to :func:`domain.messaging.suppressions.record_inbound`, which
suppresses marketing to the number when the text is an opt-out keyword («۱۱», «لغو», "11").

Which store a message concerns:

- sent to a store's own account (its line): that store;
- sent to the platform's shared line: every store that sent that phone a marketing SMS through the shared
  line in the :data:`SHARED_LINE_WINDOW` before the reply — a «لغو۱۱» answers the marketing that prompted
  it, and when several stores texted the person, stopping them all is what the person asked for. When none
  did in that window, the store that last did, ever. When no store ever texted the number from the shared
  line, the message concerns nobody and is dropped (and logged, with the number masked).

Each message is stored and its opt-out recorded in one transaction, so a crash never keeps the message
while losing the opt-out.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Final
from uuid import UUID, uuid4

from tortoise import Tortoise
from tortoise.transactions import in_transaction

from domain.customers.phones import mask_phone, normalise_phone
from domain.errors import DomainError
from domain.messaging import suppressions
from domain.messaging.models import InboundMessage
from domain.messaging.providers import Inbound

logger = logging.getLogger("revisit.sms")

SHARED_LINE_WINDOW: Final = timedelta(days=30)
MAX_BODY: Final = 2000
"""Longest text kept (a concatenated SMS is at most a few hundred characters)."""
MAX_FIELD: Final = 64

_RECENT_SENDERS = """
SELECT tenant_id FROM outbound_messages
WHERE phone = $1 AND purpose = 'marketing' AND status = 'sent' AND sms_account_id IS NULL
  AND sent_at > $2 AND sent_at <= $3
GROUP BY tenant_id
"""
_LAST_SENDER = """
SELECT tenant_id FROM outbound_messages
WHERE phone = $1 AND purpose = 'marketing' AND status = 'sent' AND sms_account_id IS NULL AND sent_at <= $2
ORDER BY sent_at DESC LIMIT 1
"""
_INSERT = """
INSERT INTO inbound_messages
    (id, tenant_id, provider, provider_message_id, sms_account_id, phone, line, body, received_at, source,
     opt_out, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, false, now())
ON CONFLICT (tenant_id, provider, provider_message_id) DO NOTHING
RETURNING id
"""


async def receive(
    *,
    provider: str,
    account_id: UUID | None,
    tenant_id: UUID | None,
    messages: Sequence[Inbound],
    source: str,
    now: datetime,
) -> list[InboundMessage]:
    """Store the messages new to each store they concern and record opt-outs; the rows stored now.

    ``tenant_id`` is the owner of ``account_id`` (a store's own account); both None for the shared line.
    Receiving the same messages again stores and suppresses nothing more.
    """
    stored: list[InboundMessage] = []
    for message in messages:
        phone = _phone(message.sender)
        tenants = (
            [tenant_id] if tenant_id is not None else await _shared_line_tenants(phone, message.received_at)
        )
        if not tenants:
            logger.info("inbound SMS from %s on the shared line concerns no store", mask_phone(phone))
        for tenant in tenants:
            row = await _store(
                tenant, provider=provider, account_id=account_id, message=message, phone=phone, source=source
            )
            if row is not None:
                stored.append(row)
    return stored


async def _shared_line_tenants(phone: str, at: datetime) -> list[UUID]:
    connection = Tortoise.get_connection("default")
    rows = await connection.execute_query_dict(_RECENT_SENDERS, [phone, at - SHARED_LINE_WINDOW, at])
    if not rows:
        rows = await connection.execute_query_dict(_LAST_SENDER, [phone, at])
    return [UUID(str(row["tenant_id"])) for row in rows]


async def _store(
    tenant_id: UUID, *, provider: str, account_id: UUID | None, message: Inbound, phone: str, source: str
) -> InboundMessage | None:
    async with in_transaction() as connection:
        rows = await connection.execute_query_dict(
            _INSERT,
            [
                uuid4(),
                tenant_id,
                provider,
                _clean(message.provider_message_id, MAX_FIELD),
                account_id,
                _clean(phone, 20),
                _clean(message.line, 20),
                _clean(message.body, MAX_BODY),
                message.received_at,
                source,
            ],
        )
        if not rows:
            return None
        opted_out = await suppressions.record_inbound(
            tenant_id=tenant_id,
            phone=phone,
            body=message.body,
            received_at=message.received_at,
            source=f"{provider}:{source}",
        )
        if opted_out:
            await (
                InboundMessage.filter(tenant_id=tenant_id, id=rows[0]["id"])
                .using_db(connection)
                .update(opt_out=True)
            )
        return await InboundMessage.filter(tenant_id=tenant_id, id=rows[0]["id"]).using_db(connection).get()


def _phone(sender: str) -> str:
    """The sender as E.164 when it reads as a phone number (Iranian by default), else as given (digits)."""
    try:
        return normalise_phone(sender) or _clean(sender, 20)
    except DomainError:
        return _clean(sender, 20)


def _clean(text: str, limit: int) -> str:
    """``text`` without what PostgreSQL cannot store (NUL, lone surrogates), at most ``limit`` characters."""
    return "".join(ch for ch in text if ch != "\x00" and not "\ud800" <= ch <= "\udfff")[:limit]
