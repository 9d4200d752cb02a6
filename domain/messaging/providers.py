"""The seam between Revisit and whoever delivers its SMS, plus the console provider for development.

A provider takes one rendered body for one phone and either returns the provider's message id or
raises one of two errors, and the caller's whole retry policy hangs on which:

- :class:`RetryableSendError`: the problem may go away (network, timeout, provider busy). Send
  again later with the *same* ``local_id``; providers that offer duplicate protection use it, so a
  request that did reach the provider before the connection broke is not delivered twice.
  :class:`ProviderOutOfCreditError` is the retryable case that needs a person: the account behind
  the provider is out of credit, so the caller should pause sending (and tell the operator) rather
  than retry at once.
- :class:`OutcomeUnknownError`: the request went out but no answer came back (a read timeout, a
  connection reset after the body was sent). The provider may have taken the message, so it must not be
  failed, nor sent blindly again: the caller resolves it with :meth:`SmsProvider.look_up` first.
- :class:`PermanentSendError`: sending the same thing again will fail the same way (invalid number,
  invalid sender line, wrong API key). Mark the message failed with ``reason``.

Campaigns send in batches (:meth:`~SmsProvider.send_batch`, at most :attr:`~SmsProvider.batch_size`
messages a call). A batch has two kinds of outcome. Each message gets its own :class:`BatchOutcome`:
``taken`` (with the provider's id), ``failed`` (refused for good: an invalid number, a blacklisted phone)
or ``retry`` (the provider said nothing usable about it: send it again with the same ``local_id``). The
whole call raises the errors above when they concern every message: :class:`ProviderOutOfCreditError`,
:class:`OutcomeUnknownError` (the answer was lost: :meth:`~SmsProvider.look_up_batch` first),
:class:`RetryableSendError`, and :class:`PermanentSendError` for the account itself (a wrong key, a
sender line it may not use). ``dedupes_local_ids`` says whether the provider refuses a second message
with a ``local_id`` it has seen, which makes a resend safe even while its books are still being written.

Besides sending, a provider answers three questions, all by polling its API: what became of a message it
took once we lost its answer (:meth:`~SmsProvider.look_up`), what its delivery reports say
(:meth:`~SmsProvider.delivery_reports`), and what customers sent to a line (:meth:`~SmsProvider.inbound`).

``reason`` never contains a phone number or a credential: it is stored in
``OutboundMessage.failure_reason`` and shown to store owners.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, Protocol
from uuid import uuid4

from domain.customers.phones import mask_phone

logger = logging.getLogger("revisit.sms")


@dataclass(frozen=True)
class SendResult:
    """What the provider said when it took the message.

    ``status`` is one of ``queued`` (accepted, waiting at the provider), ``sent`` (handed to the
    operator) or ``delivered`` (the phone confirmed). Later changes arrive as delivery reports.
    """

    provider_message_id: str
    status: str


class SendError(Exception):
    """A provider did not take the message. ``code`` is the provider's own status code, if any."""

    def __init__(self, reason: str, *, code: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


class RetryableSendError(SendError):
    """Transient: try again later with the same ``local_id``."""


class ProviderOutOfCreditError(RetryableSendError):
    """The provider account has no credit left: pause sending until someone tops it up, then retry."""


class OutcomeUnknownError(RetryableSendError):
    """The request may have reached the provider and no answer came: look it up before sending again."""


class PermanentSendError(SendError):
    """Sending this message again will fail the same way: mark it failed."""


DeliveryStatus = Literal["delivered", "failed", "undeliverable"]
"""A delivery report's final word: reached the phone; never left the provider or the operator; the operator
tried and the phone did not take it (switched off for days, blocked the line, not a subscriber)."""


@dataclass(frozen=True)
class LookupResult:
    """What a look-up found: the message (``found``, with the provider's id and state) or provably nothing.

    ``found`` False is a promise that the provider never took the message, so sending it again is safe.
    """

    found: bool
    provider_message_id: str | None = None
    status: str | None = None


@dataclass(frozen=True)
class DeliveryReport:
    """A final delivery report for one message the provider took."""

    provider_message_id: str
    status: DeliveryStatus
    at: datetime


@dataclass(frozen=True)
class Inbound:
    """One SMS a customer sent to one of our lines, as the provider tells it."""

    provider_message_id: str
    sender: str
    line: str
    body: str
    received_at: datetime


BatchStatus = Literal["taken", "failed", "retry"]
"""What became of one message of a batch: taken by the provider, refused for good, or to be sent again."""


@dataclass(frozen=True)
class BatchMessage:
    """One message of a batch: ``local_id`` is the OutboundMessage id, ``receptor`` E.164, ``sender`` the
    line (None: the account's default)."""

    local_id: str
    receptor: str
    message: str
    sender: str | None = None


@dataclass(frozen=True)
class BatchOutcome:
    """What the provider said of one message of a batch.

    ``status`` (``queued``, ``sent`` or ``delivered``) and ``provider_message_id`` are set when
    ``outcome`` is ``taken``; ``reason`` (no phone, no credential) and ``code`` otherwise.
    """

    local_id: str
    outcome: BatchStatus
    provider_message_id: str | None = None
    status: str | None = None
    reason: str | None = None
    code: int | None = None


class SmsProvider(Protocol):
    """Anything that can deliver SMS: the console (development), Kavenegar and sms.ir."""

    name: str
    batch_size: int
    """Most messages one :meth:`send_batch` call may carry."""
    dedupes_local_ids: bool
    """Whether a second message with a ``local_id`` the provider has seen is refused (answered with the
    first): then resending after a lost answer can never deliver twice."""

    async def send(self, *, receptor: str, message: str, sender: str | None, local_id: str) -> SendResult:
        """Send ``message`` to ``receptor`` (E.164). ``local_id`` is the OutboundMessage id."""
        ...

    async def look_up(
        self, *, local_id: str, receptor: str, message: str, sent_after: datetime
    ) -> LookupResult:
        """Whether the provider took the message sent as ``local_id`` (at ``sent_after`` or later).

        Raises :class:`RetryableSendError` when the provider cannot say yet.
        """
        ...

    async def send_batch(self, messages: Sequence[BatchMessage]) -> list[BatchOutcome]:
        """Send up to :attr:`batch_size` messages in one call; one outcome per message, in order.

        Raises the whole-call errors of the module docstring.
        """
        ...

    async def look_up_batch(
        self, messages: Sequence[BatchMessage], *, sent_after: datetime
    ) -> dict[str, LookupResult]:
        """What the provider took of these messages (sent at ``sent_after`` or later), by ``local_id``:
        every message gets an answer, and ``found`` False is a promise it took none.

        Raises :class:`RetryableSendError` when it cannot say for every one of them yet.
        """
        ...

    async def delivery_reports(self, provider_message_ids: Sequence[str]) -> list[DeliveryReport]:
        """The final reports among these messages (those still on their way are left out)."""
        ...

    async def inbound(self, *, line: str | None) -> list[Inbound]:
        """Messages customers sent to ``line`` (or to the account's lines) that the provider holds now."""
        ...


@dataclass(frozen=True)
class ConsoleMessage:
    """One message the console provider "sent", kept in memory for inspection."""

    receptor: str
    message: str
    sender: str | None
    local_id: str
    provider_message_id: str
    sent_at: datetime


class ConsoleProvider:
    """Delivers to the log instead of to phones: the provider ``revisit dev`` runs with.

    Each message is logged on the ``revisit.sms`` logger (the phone masked) and kept in ``sent``,
    the ``keep`` most recent first-to-last, so a developer can see what would have gone out. Like
    Kavenegar, a repeated ``local_id`` returns the original message id and is not sent twice.
    """

    name = "console"
    batch_size = 200
    dedupes_local_ids = True

    def __init__(self, *, keep: int = 100) -> None:
        if keep < 1:
            raise ValueError("keep must be at least 1")
        self.keep = keep
        self.sent: list[ConsoleMessage] = []
        self._by_local_id: OrderedDict[str, ConsoleMessage] = OrderedDict()

    async def send(self, *, receptor: str, message: str, sender: str | None, local_id: str) -> SendResult:
        """Log the message and remember it; the same ``local_id`` twice is one message."""
        if not receptor.strip():
            raise PermanentSendError("The receptor is empty.")
        if not message:
            raise PermanentSendError("The message is empty.")
        previous = self._by_local_id.get(local_id)
        if previous is not None:
            logger.info("SMS %s already sent as %s; not sent again", local_id, previous.provider_message_id)
            return SendResult(previous.provider_message_id, "delivered")

        sent = ConsoleMessage(
            receptor=receptor,
            message=message,
            sender=sender,
            local_id=local_id,
            provider_message_id=f"console-{uuid4().hex}",
            sent_at=datetime.now(UTC),
        )
        self.sent.append(sent)
        self._by_local_id[local_id] = sent
        del self.sent[: -self.keep]
        while len(self._by_local_id) > self.keep:
            self._by_local_id.popitem(last=False)
        logger.info(
            "SMS to %s from %s (local id %s, id %s):\n%s",
            mask_phone(receptor),
            sender or "default line",
            local_id,
            sent.provider_message_id,
            message,
        )
        return SendResult(sent.provider_message_id, "delivered")

    async def look_up(
        self, *, local_id: str, receptor: str, message: str, sent_after: datetime
    ) -> LookupResult:
        """The message remembered for ``local_id``; a local id it has forgotten counts as never sent."""
        previous = self._by_local_id.get(local_id)
        if previous is None:
            return LookupResult(found=False)
        return LookupResult(found=True, provider_message_id=previous.provider_message_id, status="delivered")

    async def send_batch(self, messages: Sequence[BatchMessage]) -> list[BatchOutcome]:
        """Each message as :meth:`send` would take it; an empty receptor or text fails only that one."""
        outcomes: list[BatchOutcome] = []
        for item in messages:
            try:
                result = await self.send(
                    receptor=item.receptor, message=item.message, sender=item.sender, local_id=item.local_id
                )
            except PermanentSendError as exc:
                outcomes.append(BatchOutcome(item.local_id, "failed", reason=exc.reason, code=exc.code))
                continue
            outcomes.append(BatchOutcome(item.local_id, "taken", result.provider_message_id, result.status))
        return outcomes

    async def look_up_batch(
        self, messages: Sequence[BatchMessage], *, sent_after: datetime
    ) -> dict[str, LookupResult]:
        """Each message as :meth:`look_up` finds it."""
        return {
            item.local_id: await self.look_up(
                local_id=item.local_id, receptor=item.receptor, message=item.message, sent_after=sent_after
            )
            for item in messages
        }

    async def delivery_reports(self, provider_message_ids: Sequence[str]) -> list[DeliveryReport]:
        """Every message the console took is delivered at the moment it was taken."""
        wanted = set(provider_message_ids)
        return [
            DeliveryReport(sent.provider_message_id, "delivered", sent.sent_at)
            for sent in self.sent
            if sent.provider_message_id in wanted
        ]

    async def inbound(self, *, line: str | None) -> list[Inbound]:
        """Nobody can answer the console."""
        return []
