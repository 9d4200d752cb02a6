"""Queueing and delivering SMS. Every SMS is first an OutboundMessage row, unique per origin.

:func:`queue_sms` writes the row (policy applied: opt-out, footer, part count) inside the caller's
transaction. :func:`deliver` sends it later, from a job, and may run any number of times: only a
``queued`` message is sent, and the provider gets the message id as ``local_id`` so a retry after a
lost answer is not delivered twice. ``deliver`` keeps no transaction open across the provider call.

States: ``queued`` → ``sent`` | ``failed``; ``suppressed`` is recorded instead of ``queued`` when
policy forbids sending (a marketing message to a customer who opted out), so reports can count it.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Final
from uuid import UUID

from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from domain.customers.models import Customer
from domain.customers.phones import mask_phone, normalise_phone
from domain.errors import DomainError, NotFound
from domain.messaging.formatting import with_footer
from domain.messaging.models import OutboundMessage
from domain.messaging.parts import count_parts
from domain.messaging.providers import PermanentSendError, RetryableSendError, SmsProvider
from domain.tenancy.models import Tenant

logger = logging.getLogger("revisit.sms")

QUEUED: Final = "queued"
SENT: Final = "sent"
FAILED: Final = "failed"
SUPPRESSED: Final = "suppressed"

MAX_ATTEMPTS: Final = 5
"""Provider attempts before a message that keeps failing transiently is marked failed."""


async def queue_sms(
    *, tenant: Tenant, customer: Customer, origin_key: str, purpose: str, body: str
) -> OutboundMessage:
    """Record one SMS to ``customer``, once per ``origin_key`` (e.g. ``run:<id>:step:<i>``).

    A repeated call returns the first row unchanged. A marketing body gets the «لغو۱۱» footer
    (once); a marketing message to a customer without marketing consent is recorded as
    ``suppressed`` with the reason "opted out" and is never sent.

    Raises ``NOT_FOUND`` for another tenant's customer, ``NO_PHONE`` / ``INVALID_PHONE`` when the
    customer has no valid E.164 phone, ``INVALID_PURPOSE`` and ``EMPTY_MESSAGE``.
    """
    existing = await OutboundMessage.get_or_none(tenant_id=tenant.id, origin_key=origin_key)
    if existing is not None:
        return existing
    if customer.tenant_id != tenant.id:  # type: ignore[attr-defined]
        raise NotFound("Customer", field="customerId")
    phone = _e164(customer.phone)
    text = with_footer(body, purpose)
    parts = count_parts(text)
    opted_out = purpose == "marketing" and not customer.marketing_consent
    message, _ = await OutboundMessage.get_or_create(
        tenant_id=tenant.id,
        origin_key=origin_key,
        defaults={
            "customer_id": customer.id,
            "purpose": purpose,
            "phone": phone,
            "body": text,
            "encoding": parts.encoding,
            "parts": parts.parts,
            "status": SUPPRESSED if opted_out else QUEUED,
            "failure_reason": "opted out" if opted_out else None,
        },
    )
    return message


async def deliver(*, message_id: UUID, provider: SmsProvider, sender: str | None) -> OutboundMessage:
    """Send a queued message through ``provider`` and record the outcome; safe to call repeatedly.

    A message that is not ``queued`` is returned as it is. ``sender`` is the default line; the
    tenant's own ``sender_line`` wins when set. Opens two short transactions of its own (claim, then
    outcome) around the provider call.

    On :class:`RetryableSendError` the message stays ``queued`` with the reason recorded and the
    error is re-raised so the caller retries later, until :data:`MAX_ATTEMPTS` attempts, after which
    the message is ``failed``. On :class:`PermanentSendError` the message is ``failed``.
    """
    async with in_transaction():
        message = await OutboundMessage.select_for_update().get_or_none(id=message_id)
        if message is None:
            raise NotFound("Message")
        if message.status != QUEUED:
            return message
        message.attempts += 1
        await message.save(update_fields=["attempts", "updated_at"])
    tenant = await Tenant.get(id=message.tenant_id)  # type: ignore[attr-defined]
    try:
        result = await provider.send(
            receptor=message.phone,
            message=message.body,
            sender=tenant.sender_line or sender,
            local_id=str(message.id),
        )
    except PermanentSendError as exc:
        return await _record(message_id, status=FAILED, failure_reason=exc.reason)
    except RetryableSendError as exc:
        if message.attempts >= MAX_ATTEMPTS:
            reason = f"Gave up after {message.attempts} attempts: {exc.reason}"
            return await _record(message_id, status=FAILED, failure_reason=reason)
        await _record(message_id, status=QUEUED, failure_reason=exc.reason)
        raise
    logger.info("SMS %s to %s taken by %s", message.id, mask_phone(message.phone), provider.name)
    return await _record(
        message_id,
        status=SENT,
        failure_reason=None,
        provider=provider.name,
        provider_message_id=result.provider_message_id,
        sent_at=datetime.now(UTC),
    )


def list_messages(*, tenant_id: UUID, status: str | None = None) -> QuerySet[OutboundMessage]:
    """The tenant's outbound messages, optionally only those in ``status``."""
    queryset = OutboundMessage.filter(tenant_id=tenant_id)
    return queryset.filter(status=status) if status else queryset


async def _record(message_id: UUID, **changes: object) -> OutboundMessage:
    """Write a send's outcome, unless another delivery already settled the message."""
    async with in_transaction():
        message = await OutboundMessage.select_for_update().get(id=message_id)
        if message.status != QUEUED:
            return message
        message.update_from_dict(changes)
        await message.save(update_fields=[*changes, "updated_at"])
        return message


def _e164(phone: str | None) -> str:
    if not phone:
        raise DomainError("NO_PHONE", "The customer has no phone number.", field="phone")
    if normalise_phone(phone) != phone:
        raise DomainError("INVALID_PHONE", "The customer's phone is not in E.164 form.", field="phone")
    return phone
