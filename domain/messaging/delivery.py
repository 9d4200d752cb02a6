"""Delivering a queued SMS through its store's provider, once, even when an answer is lost.

:func:`deliver` runs from a job and may run any number of times: only a ``queued`` message that is due is
sent, and the provider gets the message id as ``local_id``. It keeps no transaction open across a provider
call: one short transaction claims the message (and asks the sending policy again whether now is a decent
hour), another records the outcome, and only if the message is still queued.

A message is due when its ``send_after`` has passed and :func:`domain.messaging.policy.next_send_time` says
now; otherwise :class:`Delivery` names the moment to come back (``due_at``) and nothing is sent.

Unknown outcomes. When the request went out and no answer came (:class:`OutcomeUnknownError`), the message
stays ``queued`` with ``outcome_unknown_at`` set to the moment that attempt began, and is never failed for
it. The next delivery asks the provider first (:meth:`SmsProvider.look_up`): found → ``sent`` with the
provider's id; provably not there → sent again with the same local id. A "not there" heard within
:data:`LOOKUP_GRACE` of the attempt is not trusted yet (the provider may still be writing it down): the
delivery is retried later. ``outcome_unknown_at`` stays on a message resolved this way, so it can be seen.

A delivery holds the message for :data:`CLAIM_LEASE` (``claimed_until``) while it talks to the provider, so
a second delivery (the reconciler's, a retried job) waits instead of sending it twice. A claim still set
when the next delivery comes means the last one died mid-call — a killed worker — and is treated as an
unknown outcome: looked up before anything is sent.

Charging. The claim charges the message from the store's wallet (once: ``sms:<id>``, its parts at the part
price of that moment) before the provider is called; when the wallet cannot pay, the message stays
``queued`` (``failure_reason`` says it waits for funds) and the store is put on hold
(:mod:`domain.billing.charging`). A message that fails for good is refunded. Owner notices
(``billing:…``) are free.

States: ``queued`` → ``sent`` | ``failed``. Only attempts the provider answered (or that provably never
reached it) count towards :data:`MAX_ATTEMPTS`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final
from uuid import UUID

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from domain.billing import charging, notices
from domain.customers.phones import mask_phone
from domain.errors import NotFound
from domain.messaging import policy
from domain.messaging.accounts import AccountUnusable, ProviderDirectory, Route
from domain.messaging.models import OutboundMessage
from domain.messaging.providers import (
    OutcomeUnknownError,
    PermanentSendError,
    RetryableSendError,
    SendResult,
)
from domain.messaging.service import withdraw_if_refused
from domain.tenancy.models import Tenant

logger = logging.getLogger("revisit.sms")

QUEUED: Final = "queued"
SENT: Final = "sent"
FAILED: Final = "failed"

MAX_ATTEMPTS: Final = 5
"""Answered attempts before a message that keeps failing transiently is marked failed."""
LOOKUP_GRACE: Final = timedelta(minutes=2)
"""How long after an unanswered attempt a provider's "no such message" is believed."""
WAITING_FOR_FUNDS: Final = "Waiting for funds: the store's wallet cannot pay for it yet"
CLAIM_LEASE: Final = timedelta(minutes=5)
"""How long one delivery may talk to the provider (a job's own time limit): no other delivery of the
message starts meanwhile, and a claim left behind by a delivery that died is an unknown outcome."""


@dataclass(frozen=True)
class Delivery:
    """What one delivery did: the message as it now is, and ``due_at`` when it is not time yet."""

    message: OutboundMessage
    due_at: datetime | None = None
    provider: str | None = None


async def deliver(*, message_id: UUID, directory: ProviderDirectory, now: datetime | None = None) -> Delivery:
    """Send a queued, due message through its store's route and record the outcome; safe to repeat.

    Raises :class:`RetryableSendError` (including :class:`OutcomeUnknownError`) for the caller to try again
    later; the message then stays ``queued`` with the reason recorded.
    """
    moment = now or datetime.now(UTC)
    message = await OutboundMessage.get_or_none(id=message_id)
    if message is None:
        raise NotFound("Message")
    if message.status != QUEUED:
        return Delivery(message)
    tenant = await Tenant.get(id=message.tenant_id)  # type: ignore[attr-defined]
    try:
        route = await directory.route(tenant.id, fallback_sender=tenant.sender_line)
    except AccountUnusable as exc:
        await _record(message_id, failure_reason=exc.message)
        raise RetryableSendError(exc.message) from exc

    claim = await _claim(message_id, tenant=tenant, route=route, now=moment)
    if isinstance(claim, Delivery):
        return claim
    message = claim
    provider = route.provider

    if message.outcome_unknown_at is not None:
        resolved = await _resolve_unknown(message, route=route, now=moment)
        if resolved is not None:
            return Delivery(resolved, provider=provider.name)

    started = datetime.now(UTC)
    try:
        result = await provider.send(
            receptor=message.phone, message=message.body, sender=route.sender, local_id=str(message.id)
        )
    except PermanentSendError as exc:
        return Delivery(await _failed(message, reason=exc.reason), None, provider.name)
    except OutcomeUnknownError as exc:
        await _record(
            message_id, failure_reason=exc.reason, outcome_unknown_at=message.outcome_unknown_at or started
        )
        raise
    except RetryableSendError as exc:
        if message.attempts >= MAX_ATTEMPTS:
            reason = f"Gave up after {message.attempts} attempts: {exc.reason}"
            return Delivery(await _failed(message, reason=reason), None, provider.name)
        await _record(message_id, failure_reason=exc.reason)
        raise
    return Delivery(await _sent(message, route=route, result=result), provider=provider.name)


async def _claim(
    message_id: UUID, *, tenant: Tenant, route: Route, now: datetime
) -> OutboundMessage | Delivery:
    """Lock the message and take one attempt, or say when it is due (or that it is no longer queued)."""
    async with in_transaction() as connection:
        message = await OutboundMessage.select_for_update().get(id=message_id)
        if message.status != QUEUED:
            return Delivery(message)
        if message.send_after is not None and message.send_after > now:
            return Delivery(message, due_at=message.send_after)
        if message.claimed_until is not None and message.claimed_until > now:
            return Delivery(message, due_at=message.claimed_until)  # another delivery is sending it
        opens = policy.next_send_time(tenant=tenant, purpose=message.purpose, now=now)
        if opens > now:
            message.send_after = opens
            await message.save(update_fields=["send_after", "updated_at"])
            return Delivery(message, due_at=opens)
        never_tried = message.claimed_until is None and message.outcome_unknown_at is None
        if never_tried and await withdraw_if_refused(message, tenant=tenant):
            return Delivery(message)  # the customer said no while it waited (a late «لغو», the store's data)
        if not await _paid(connection, message, tenant=tenant, route=route, now=now):
            return Delivery(message)  # stays queued: it goes once the store's wallet pays (docs/billing.md)
        if message.claimed_until is not None:  # the last delivery died mid-call: it may have gone out
            message.outcome_unknown_at = message.outcome_unknown_at or message.claimed_until - CLAIM_LEASE
            message.failure_reason = "Outcome unknown: the delivery stopped while talking to the provider"
        if message.outcome_unknown_at is not None:
            message.lookups += 1
        else:
            message.attempts += 1
        message.sms_account_id = route.account_id
        message.claimed_until = now + CLAIM_LEASE
        await message.save(
            update_fields=[
                "attempts",
                "lookups",
                "sms_account_id",
                "claimed_until",
                "outcome_unknown_at",
                "failure_reason",
                "updated_at",
            ]
        )
        return message


async def _paid(
    connection: BaseDBAsyncClient, message: OutboundMessage, *, tenant: Tenant, route: Route, now: datetime
) -> bool:
    """Charge the message (once: ``sms:<id>``) before it is handed to the provider; owner notices are free.
    When the wallet cannot pay, the store is on hold and the message says why it waits."""
    if notices.is_notice(message.origin_key):
        return True
    paid = await charging.charge_messages(
        connection, tenant, [(message.id, message.parts)], provider=route.provider.name, now=now
    )
    if not paid:
        message.failure_reason = WAITING_FOR_FUNDS
        await message.save(update_fields=["failure_reason", "updated_at"])
    return paid


async def _resolve_unknown(
    message: OutboundMessage, *, route: Route, now: datetime
) -> OutboundMessage | None:
    """Ask the provider about a message whose answer was lost: the settled message when it took it, None
    when it provably did not (send again). Raises RetryableSendError when it cannot say yet."""
    assert message.outcome_unknown_at is not None
    try:
        found = await route.provider.look_up(
            local_id=str(message.id),
            receptor=message.phone,
            message=message.body,
            sent_after=message.outcome_unknown_at,
        )
    except PermanentSendError as exc:  # the account itself is refused: nothing more can be learnt or sent
        await _record(message.id, failure_reason=f"Look-up refused: {exc.reason}")
        raise RetryableSendError(exc.reason, code=exc.code) from exc
    except RetryableSendError as exc:
        await _record(message.id, failure_reason=f"Outcome still unknown: {exc.reason}")
        raise
    if found.found and found.provider_message_id:
        logger.info("SMS %s found at %s by its local id", message.id, route.provider.name)
        return await _sent(
            message, route=route, result=SendResult(found.provider_message_id, found.status or "sent")
        )
    if now - message.outcome_unknown_at < LOOKUP_GRACE:
        reason = f"Outcome unknown; {route.provider.name} does not show it yet"
        await _record(message.id, failure_reason=reason)
        raise RetryableSendError(reason)
    logger.info("SMS %s never reached %s; sending it again", message.id, route.provider.name)
    # Still claimed by this delivery: only the unknown mark goes, and the resend counts as an attempt.
    await OutboundMessage.filter(id=message.id, status=QUEUED).update(
        outcome_unknown_at=None, attempts=message.attempts + 1, updated_at=datetime.now(UTC)
    )
    message.outcome_unknown_at = None
    message.attempts += 1
    return None


async def _sent(message: OutboundMessage, *, route: Route, result: SendResult) -> OutboundMessage:
    logger.info("SMS %s to %s taken by %s", message.id, mask_phone(message.phone), route.provider.name)
    return await _record(
        message.id,
        status=SENT,
        failure_reason=None,
        provider=route.provider.name,
        provider_message_id=result.provider_message_id,
        sms_account_id=route.account_id,
        sent_at=datetime.now(UTC),
        delivery_status="delivered" if result.status == "delivered" else None,
        delivery_status_at=datetime.now(UTC) if result.status == "delivered" else None,
    )


async def _failed(message: OutboundMessage, *, reason: str) -> OutboundMessage:
    """Fail the message and give its charge back to the store, in one transaction (the provider never took
    it)."""
    async with in_transaction() as connection:
        failed = await _record(message.id, status=FAILED, failure_reason=reason)
        if failed.status == FAILED:
            await charging.refund_message(connection, failed.tenant_id, failed.id)  # type: ignore[attr-defined]
        return failed


async def _record(message_id: UUID, **changes: object) -> OutboundMessage:
    """Write a send's outcome (releasing the claim), unless another delivery already settled the message."""
    async with in_transaction():
        message = await OutboundMessage.select_for_update().get(id=message_id)
        if message.status != QUEUED:
            return message
        message.update_from_dict({**changes, "claimed_until": None})
        await message.save(update_fields=[*changes, "claimed_until", "updated_at"])
        return message
