"""Queueing and delivering SMS. Every SMS is first an OutboundMessage row, unique per origin.

:func:`queue_sms` writes the row (policy applied: opt-out, footer, part count) inside the caller's
transaction. :func:`domain.messaging.delivery.deliver` sends it later, from a job (docs/sms-providers.md).

States: ``queued`` → ``sent`` | ``failed``; ``suppressed`` is recorded instead of ``queued`` when
policy forbids sending (a marketing message without consent, or to a suppressed phone), ``skipped``
when a frequency cap leaves no room, so reports can count both. The sending policy itself — consent,
suppressions, caps, quiet hours — is docs/sending-policy.md.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final
from uuid import UUID

from tortoise import Tortoise
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from domain.customers.models import Customer
from domain.customers.phones import normalise_phone
from domain.errors import DomainError, NotFound
from domain.messaging import consent, policy
from domain.messaging.formatting import with_footer
from domain.messaging.models import OutboundMessage, SmsSuppression
from domain.messaging.parts import SmsParts, count_parts
from domain.messaging.policy import WhenCapped
from domain.tenancy.models import Tenant

logger = logging.getLogger("revisit.sms")

QUEUED: Final = "queued"
SENT: Final = "sent"
FAILED: Final = "failed"
SUPPRESSED: Final = "suppressed"
SKIPPED: Final = "skipped"


async def queue_sms(
    *,
    tenant: Tenant,
    customer: Customer,
    origin_key: str,
    purpose: str,
    body: str,
    now: datetime | None = None,
    when_capped: WhenCapped = "skip",
) -> OutboundMessage:
    """Record one SMS to ``customer``, once per ``origin_key`` (e.g. ``run:<id>:step:<i>``), with the
    store's sending policy applied; ``now`` is the moment it is queued (default: the clock).

    A repeated call returns the first row unchanged. A transactional message is ``queued`` to go at
    once. A marketing body gets the «لغو۱۱» footer (once), then:

    - without consent (:mod:`domain.messaging.consent`) or to a suppressed phone: ``suppressed``;
    - over a frequency cap: ``skipped`` (``when_capped="skip"``) or ``queued`` with ``send_after``
      on the first day with room (``"defer"``);
    - in quiet hours: ``queued`` with ``send_after`` at the window's opening.

    ``policy_reason`` records why (:mod:`domain.messaging.policy`). The caller enqueues delivery of a
    ``queued`` message. Runs in the caller's transaction, holding a lock on the customer until it
    ends, so two journeys queueing for one customer at once count each other under the caps.

    Raises ``NOT_FOUND`` for another tenant's customer, ``NO_PHONE`` / ``INVALID_PHONE`` when the
    customer has no valid E.164 phone, ``INVALID_PURPOSE``, ``INVALID`` (``when_capped``) and
    ``EMPTY_MESSAGE``.
    """
    existing = await OutboundMessage.get_or_none(tenant_id=tenant.id, origin_key=origin_key)
    if existing is not None:
        return existing
    if customer.tenant_id != tenant.id:  # type: ignore[attr-defined]
        raise NotFound("Customer", field="customerId")
    if when_capped not in ("skip", "defer"):
        raise DomainError("INVALID", "when_capped is skip or defer.", field="whenCapped")
    phone = _e164(customer.phone)
    if not body.strip():
        raise DomainError("EMPTY_MESSAGE", "The message is empty.", field="body")
    text = with_footer(body, purpose)
    parts = count_parts(text)
    moment = now or datetime.now(UTC)
    if moment.tzinfo is None:
        raise ValueError("queue_sms needs an aware now (UTC or any zone), not a naive datetime")
    try:
        return await _queue(tenant, customer, origin_key, purpose, phone, text, parts, moment, when_capped)
    except IntegrityError:  # the same origin queued at once for another customer: the first wins
        return await OutboundMessage.get(tenant_id=tenant.id, origin_key=origin_key)


async def _queue(
    tenant: Tenant,
    customer: Customer,
    origin_key: str,
    purpose: str,
    phone: str,
    text: str,
    parts: SmsParts,
    moment: datetime,
    when_capped: WhenCapped,
) -> OutboundMessage:
    async with in_transaction() as connection:
        await connection.execute_query(_CUSTOMER_LOCK, [f"sms:{tenant.id}:{customer.id}"])
        existing = await OutboundMessage.get_or_none(tenant_id=tenant.id, origin_key=origin_key)
        if existing is not None:
            return existing
        if purpose == policy.MARKETING:
            decision = await _marketing(connection, tenant, customer, phone, moment, when_capped)
        else:
            decision = _Decision(QUEUED, moment, None, None)
        return await OutboundMessage.create(
            tenant_id=tenant.id,
            origin_key=origin_key,
            customer_id=customer.id,
            purpose=purpose,
            phone=phone,
            body=text,
            encoding=parts.encoding,
            parts=parts.parts,
            status=decision.status,
            send_after=decision.send_after,
            policy_reason=decision.reason,
            failure_reason=decision.explanation,
            using_db=connection,
        )


async def queue_to_phone(
    *, tenant: Tenant, phone: str, origin_key: str, purpose: str, body: str, now: datetime | None = None
) -> OutboundMessage:
    """Record one SMS to a phone that is no customer's — the owner's billing notices, a campaign's test
    send — once per ``origin_key``; a repeated call returns the first row unchanged.

    No consent or frequency cap applies (the store's own people asked for it); a marketing body still gets
    the «لغو۱۱» footer and waits for the end of quiet hours at delivery. The caller enqueues its delivery.
    Raises ``INVALID_PHONE`` for a phone not in E.164 form, ``INVALID_PURPOSE`` and ``EMPTY_MESSAGE``.
    """
    existing = await OutboundMessage.get_or_none(tenant_id=tenant.id, origin_key=origin_key)
    if existing is not None:
        return existing
    e164 = normalise_phone(phone, tenant.country) if phone else None
    if e164 is None or e164 != phone:
        raise DomainError("INVALID_PHONE", "The phone is not in E.164 form (+989121234567).", field="phone")
    if not body.strip():
        raise DomainError("EMPTY_MESSAGE", "The message is empty.", field="body")
    text = with_footer(body, purpose)
    parts = count_parts(text)
    moment = now or datetime.now(UTC)
    try:
        async with in_transaction() as connection:
            return await OutboundMessage.create(
                tenant_id=tenant.id,
                origin_key=origin_key,
                customer_id=None,
                purpose=purpose,
                phone=e164,
                body=text,
                encoding=parts.encoding,
                parts=parts.parts,
                status=QUEUED,
                send_after=policy.next_send_time(tenant=tenant, purpose=purpose, now=moment),
                using_db=connection,
            )
    except IntegrityError:  # the same origin queued at once: the first wins
        return await OutboundMessage.get(tenant_id=tenant.id, origin_key=origin_key)


_CUSTOMER_LOCK = "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))"
_COUNTED_SLOTS = """
SELECT COALESCE(send_after, created_at) AS slot FROM outbound_messages
WHERE tenant_id = $1 AND customer_id = $2 AND purpose = 'marketing' AND status <> ALL($3::text[])
  AND COALESCE(send_after, created_at) >= $4
"""
_EXPLANATIONS: Final = {
    policy.OPTED_OUT: "opted out",
    policy.NO_CONSENT: "no consent: the store asks customers first (opt-in)",
    policy.SUPPRESSED_NUMBER: "opted out: the phone is on the store's suppression list",
    policy.DAILY_CAP: "frequency cap: the customer's marketing SMS for the day",
    policy.WEEKLY_CAP: "frequency cap: the customer's marketing SMS for 7 days",
}


@dataclass(frozen=True)
class _Decision:
    status: str
    send_after: datetime | None
    reason: str | None
    explanation: str | None


async def _marketing(
    connection: BaseDBAsyncClient,
    tenant: Tenant,
    customer: Customer,
    phone: str,
    now: datetime,
    when_capped: WhenCapped,
) -> _Decision:
    """Consent, the suppression list, then the caps and quiet hours (:func:`policy.place`)."""
    refused = await _refusal(connection, tenant, customer, phone)
    if refused is not None:
        return _Decision(SUPPRESSED, None, refused, _EXPLANATIONS[refused])
    counted: list[datetime] = []
    if not policy.caps(tenant).none:
        rows = await connection.execute_query_dict(
            _COUNTED_SLOTS,
            [tenant.id, customer.id, sorted(policy.UNCOUNTED), policy.window_start(now, tenant)],
        )
        counted = [row["slot"] for row in rows]
    slot = policy.place(tenant=tenant, now=now, counted=counted, when_capped=when_capped)
    if slot.send_after is None:
        return _Decision(SKIPPED, None, slot.reason, _EXPLANATIONS[slot.reason or policy.DAILY_CAP])
    return _Decision(QUEUED, slot.send_after, slot.reason, None)


async def _refusal(
    connection: BaseDBAsyncClient, tenant: Tenant, customer: Customer | None, phone: str
) -> str | None:
    """Why marketing may not reach ``customer`` at ``phone`` (a policy reason code), or None."""
    if customer is None:  # deleted since: nothing says they agreed
        return policy.NO_CONSENT
    if not consent.allows_marketing(customer=customer, consent_mode=consent.mode(tenant)):
        return policy.OPTED_OUT if not customer.marketing_consent else policy.NO_CONSENT
    suppressed = SmsSuppression.filter(tenant_id=tenant.id, phone=phone, lifted_at=None)
    if await suppressed.using_db(connection).exists():
        return policy.SUPPRESSED_NUMBER
    return None


async def withdraw_if_refused(message: OutboundMessage, *, tenant: Tenant) -> bool:
    """Just before a queued marketing message goes: when its customer has since opted out (a «۱۱»
    reply, a withdrawn consent, the store's switch to opt-in), record it ``suppressed`` with the
    reason and answer True — it must not be sent. False for a message that may still go, and for any
    transactional one.

    ``message`` is the row the caller holds locked (``select_for_update``) in its own transaction;
    this saves the change through it."""
    if message.status != QUEUED or message.purpose != policy.MARKETING:
        return False
    connection = Tortoise.get_connection("default")
    customer_id = message.customer_id  # type: ignore[attr-defined]
    customer = await Customer.get_or_none(tenant_id=tenant.id, id=customer_id) if customer_id else None
    refused = await _refusal(connection, tenant, customer, message.phone)
    if refused is None:
        return False
    message.status, message.policy_reason = SUPPRESSED, refused
    message.failure_reason = _EXPLANATIONS[refused] + " (since it was queued)"
    await message.save(update_fields=["status", "policy_reason", "failure_reason", "updated_at"])
    return True


def list_messages(*, tenant_id: UUID, status: str | None = None) -> QuerySet[OutboundMessage]:
    """The tenant's outbound messages, optionally only those in ``status``."""
    queryset = OutboundMessage.filter(tenant_id=tenant_id)
    return queryset.filter(status=status) if status else queryset


def _e164(phone: str | None) -> str:
    if not phone:
        raise DomainError("NO_PHONE", "The customer has no phone number.", field="phone")
    if normalise_phone(phone) != phone:
        raise DomainError("INVALID_PHONE", "The customer's phone is not in E.164 form.", field="phone")
    return phone
