"""Kavenegar (kavenegar.com), the production SMS provider for Iranian stores.

One call of the REST API: ``POST {base}/v1/{api_key}/sms/send.json``, form-encoded ``receptor``,
``message``, ``sender`` (only when the tenant has its own line; otherwise the account's default line)
and ``localid``. The answer is JSON::

    {"return": {"status": 200, "message": "تایید شد"},
     "entries": [{"messageid": 8792343, "status": 1, "statustext": "در صف ارسال", "receptor": "…",
                  "sender": "…", "message": "…", "date": 1356619709, "cost": 120}]}

On errors the HTTP status equals ``return.status`` and ``entries`` is null. The adapter reads
``return.status`` when the body is Kavenegar's JSON (some proxies answer HTTP 200 around an error
status) and the HTTP status otherwise (an HTML page from a gateway in front of the API).

Duplicate protection: ``localid`` is always sent (the OutboundMessage id). Kavenegar does not send a
second message for a ``localid`` it has seen; it answers with the original entry, which this
adapter treats as success. That is what makes every retry below safe, including after a timeout
in which the first request may well have been accepted.

How each outcome is handled (R = :class:`RetryableSendError`, P = :class:`PermanentSendError`):

=================  ===========================================================  ==================
status             Kavenegar's meaning                                          handling
=================  ===========================================================  ==================
200                accepted                                                     success
400                parameters incomplete                                        P
401                account disabled                                             P
402                operation failed (unspecified, on Kavenegar's side)          R
403                API key invalid                                              P
404                method not found                                             P
405                wrong HTTP method (GET/POST)                                 P
406                required parameters sent empty                               P
407                no access to this information (e.g. calling IP not allowed)  P
409                server cannot answer right now, try later                    R
411                receptor invalid                                             P
412                sender (line) invalid                                        P
413                message empty or too long                                    P
414                too many receptors/records in one request                    P
415, 416, 417      invalid index / IP does not match the account / bad date     P
418                account out of credit                                        R, out of credit
419                array lengths differ (sendarray)                             P
422                invalid characters in the data                               P
424 … 432          template, verify or line-permission problems                 P
429, 451           too many calls in a time window (rate limited)               R
501                trial account: may only send to the account owner's number   P
other 4xx          request or account problem that a retry will not fix         P
other 5xx          server error                                                 R
connect failure    the request never left (refused, DNS, connect timeout)       R
read timeout,      the request went out and no answer came: Kavenegar may have  R, outcome unknown
reset after send   taken the message
200, no entries    accepted but unreadable (no message id)                      R
=================  ===========================================================  ==================

"R, out of credit" is :class:`ProviderOutOfCreditError`, a retryable error the caller answers by
pausing sending until the account is topped up.

"R, outcome unknown" is :class:`OutcomeUnknownError`: the caller asks :meth:`KavenegarProvider.look_up`
(``sms/statuslocalmessageid.json?localid=…``) before anything else. An entry of that look-up with a message
id is the message Kavenegar took; status 100 ("invalid id") with no message id means Kavenegar has no
message with that local id, so sending again cannot make a second one.

Delivery reports are polled with ``sms/status.json?messageid=a,b,…`` (at most 500 ids a call) and map the
entry statuses 10 → delivered, 6 and 13 (failed, cancelled) → failed, 11 and 14 (not delivered, blocked
by the recipient) → undeliverable; 1, 2, 4 and 5 are on their way and 100 is an id Kavenegar does not
know. Kavenegar also posts reports to a callback (see ``graph/rest/sms_callbacks.py``). Inbound SMS are
polled with ``sms/receive.json?linenumber=…&isread=0``: Kavenegar returns the line's unread messages and
marks them read, so each comes once (the callback is the other way in).

Batches (campaigns): ``POST {base}/v1/{api_key}/sms/sendarray.json``, form-encoded, each field a JSON array
of one item per message: ``receptor``, ``message``, ``sender`` (left out when no line is set, as with
``send``) and ``localmessageids`` (the OutboundMessage ids, Kavenegar's duplicate protection as ``localid``
is for ``send``). At most :data:`SENDARRAY_BATCH` messages a call. The answer has one entry per message, in
order; an entry with a message id is taken, one whose status is a final failure is refused for good, one
without an id is sent again (the same local id cannot make a second message). A status that concerns one
message of the batch — 411 (receptor), 413 (text), 422 (characters) — refuses the whole call without saying
which, so the batch is split in halves until the refused messages stand alone and fail, while the others
go. 414 (too many) halves the batch too. Every other status is the whole call's, as in the table. An
answer that does not list every message is an unknown outcome: the batch is looked up before anything
else. :meth:`KavenegarProvider.look_up_batch` asks ``sms/statuslocalmessageid.json`` for up to
:data:`LOOKUP_BATCH` comma-separated local ids a call.

An entry whose own status is final failure (6 failed, 11 undelivered, 13 cancelled, 14 blocked by
the recipient) — possible when a repeated ``localid`` returns an old message — is P.

Phone numbers appear in logs masked; the API key, which Kavenegar puts in the URL path, appears in
no log line or error reason written here. httpx itself logs request URLs on the ``httpx`` logger at
INFO, so production logging must keep that logger at WARNING or above.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import httpx

from domain.customers.phones import mask_phone
from domain.messaging.http_provider import HttpProvider
from domain.messaging.providers import (
    BatchMessage,
    BatchOutcome,
    DeliveryReport,
    DeliveryStatus,
    Inbound,
    LookupResult,
    OutcomeUnknownError,
    PermanentSendError,
    ProviderOutOfCreditError,
    RetryableSendError,
    SendResult,
)

logger = logging.getLogger("revisit.sms")

RETRYABLE_CODES = frozenset({402, 409, 429, 451})
PERMANENT_5XX_CODES = frozenset({501})
OUT_OF_CREDIT = 418
STATUS_BATCH = 500
"""Most message ids one ``sms/status.json`` call may carry."""
SENDARRAY_BATCH = 200
"""Most messages one ``sms/sendarray.json`` call carries."""
LOOKUP_BATCH = 200
"""Most local ids one ``sms/statuslocalmessageid.json`` call asks about."""
MESSAGE_CODES = frozenset({411, 413, 422})
"""Statuses that refuse a whole batch for what one of its messages holds."""
TOO_MANY = 414
UNKNOWN_ID = 100
"""An entry status meaning "no such message" (an unknown message id or local id)."""

_ENTRY_STATUS = {1: "queued", 2: "queued", 4: "sent", 5: "sent", 10: "delivered"}
_ENTRY_FAILED = frozenset({6, 11, 13, 14})
FINAL_STATUS: dict[int, DeliveryStatus] = {
    10: "delivered",
    6: "failed",
    13: "failed",
    11: "undeliverable",
    14: "undeliverable",
}
"""Kavenegar's final entry statuses and what they mean for a delivery report."""

# The request never reached Kavenegar: sending again cannot make a second message.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.LocalProtocolError)


class KavenegarProvider(HttpProvider):
    """Sends SMS through Kavenegar's REST API. Pass ``client`` to share a connection pool.

    A client created here is closed by :meth:`aclose` (or ``async with``); a client passed in is
    left to its owner.
    """

    name = "kavenegar"
    batch_size = SENDARRAY_BATCH
    dedupes_local_ids = True

    def __init__(
        self,
        api_key: str,
        base_url: str = "https://api.kavenegar.com",
        timeout: float = 10.0,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        if not api_key.strip():
            raise ValueError("Kavenegar needs an API key")
        self._api_key = api_key
        super().__init__(base_url=base_url, timeout=timeout, client=client)
        self._root = f"{self.base_url}/v1/{quote(api_key, safe='')}"

    async def send(self, *, receptor: str, message: str, sender: str | None, local_id: str) -> SendResult:
        """Send one SMS; see the module docstring for what is retried and what is final."""
        form = {"receptor": receptor, "message": message, "localid": local_id}
        if sender:
            form["sender"] = sender
        masked = mask_phone(receptor)
        response = await self._sending("sms/send", form, label=f"{local_id} to {masked}", what="the message")
        code, text, entries = _read(response)
        if code != 200:
            error = _classify(code, text)
            logger.warning(
                "Kavenegar refused %s to %s: %s (%s)", local_id, masked, code, type(error).__name__
            )
            raise error
        result = _result_from(entries)
        logger.info("Kavenegar took %s to %s as %s", local_id, masked, result.provider_message_id)
        return result

    async def look_up(
        self, *, local_id: str, receptor: str, message: str, sent_after: datetime
    ) -> LookupResult:
        """The message Kavenegar took with this ``localid``, or the promise it took none."""
        entries = await self._query("sms/statuslocalmessageid", {"localid": local_id})
        for entry in entries:
            if str(entry.get("localid", local_id)) != local_id:
                continue
            return _looked_up(entry)
        return LookupResult(found=False)

    async def send_batch(self, messages: Sequence[BatchMessage]) -> list[BatchOutcome]:
        """Send the messages with ``sms/sendarray``, :data:`SENDARRAY_BATCH` a call; see the module
        docstring for the outcomes."""
        outcomes: list[BatchOutcome] = []
        for start in range(0, len(messages), self.batch_size):
            batch = list(messages[start : start + self.batch_size])
            with_line = [item for item in batch if item.sender]
            if with_line and len(with_line) < len(batch):  # the sender array is all lines or left out
                found = await self._send_array(with_line)
                found += await self._send_array([item for item in batch if not item.sender])
                by_id = {outcome.local_id: outcome for outcome in found}
                outcomes.extend(by_id[item.local_id] for item in batch)
            else:
                outcomes.extend(await self._send_array(batch))
        return outcomes

    async def look_up_batch(
        self, messages: Sequence[BatchMessage], *, sent_after: datetime
    ) -> dict[str, LookupResult]:
        """What Kavenegar took of these messages, by local id, :data:`LOOKUP_BATCH` ids a call."""
        local_ids = list(dict.fromkeys(item.local_id for item in messages))
        found: dict[str, LookupResult] = {}
        for start in range(0, len(local_ids), LOOKUP_BATCH):
            asked = local_ids[start : start + LOOKUP_BATCH]
            entries = await self._query("sms/statuslocalmessageid", {"localid": ",".join(asked)})
            if len(asked) == 1 and len(entries) == 1:
                entries[0].setdefault("localid", asked[0])
            by_local_id = {str(entry.get("localid")): entry for entry in entries}
            for local_id in asked:
                entry = by_local_id.get(local_id)
                if entry is None:
                    raise RetryableSendError("Kavenegar's look-up did not answer for every local id.")
                found[local_id] = _looked_up(entry)
        return found

    async def _send_array(self, batch: list[BatchMessage]) -> list[BatchOutcome]:
        """One ``sendarray`` call, split in halves while a status refuses it for one of its messages."""
        form = {
            "receptor": json.dumps([item.receptor for item in batch]),
            "message": json.dumps([item.message for item in batch], ensure_ascii=False),
            "localmessageids": json.dumps([item.local_id for item in batch]),
        }
        if batch[0].sender:
            form["sender"] = json.dumps([item.sender for item in batch])
        response = await self._sending(
            "sms/sendarray", form, label=f"a batch of {len(batch)}", what="the messages"
        )
        code, text, entries = _read(response)
        if code in MESSAGE_CODES or (code == TOO_MANY and len(batch) > 1):
            if len(batch) == 1:
                reason = f"Kavenegar {code}: {text}" if text else f"Kavenegar {code}"
                return [BatchOutcome(batch[0].local_id, "failed", reason=reason, code=code)]
            middle = len(batch) // 2
            return await self._send_array(batch[:middle]) + await self._send_array(batch[middle:])
        if code != 200:
            error = _classify(code, text)
            logger.warning("Kavenegar refused a batch of %d: %s (%s)", len(batch), code, type(error).__name__)
            raise error
        if not isinstance(entries, list) or len(entries) != len(batch):
            raise OutcomeUnknownError("Kavenegar took the batch but its answer does not list every message.")
        outcomes = [_batch_outcome(item, entry) for item, entry in zip(batch, entries, strict=True)]
        logger.info(
            "Kavenegar took %d of a batch of %d",
            sum(outcome.outcome == "taken" for outcome in outcomes),
            len(batch),
        )
        return outcomes

    async def delivery_reports(self, provider_message_ids: Sequence[str]) -> list[DeliveryReport]:
        """Final reports for these messages, asked :data:`STATUS_BATCH` ids at a time."""
        reports: list[DeliveryReport] = []
        now = datetime.now(UTC)
        ids = list(dict.fromkeys(provider_message_ids))
        for start in range(0, len(ids), STATUS_BATCH):
            batch = ids[start : start + STATUS_BATCH]
            for entry in await self._query("sms/status", {"messageid": ",".join(batch)}):
                message_id, status = _message_id(entry), entry.get("status")
                final = FINAL_STATUS.get(status) if isinstance(status, int) else None
                if message_id is not None and final is not None:
                    reports.append(DeliveryReport(message_id, final, now))
        return reports

    async def inbound(self, *, line: str | None) -> list[Inbound]:
        """The line's unread messages (Kavenegar marks them read as it answers: each comes once)."""
        if not line:
            return []
        messages: list[Inbound] = []
        for entry in await self._query("sms/receive", {"linenumber": line, "isread": "0"}):
            message_id = _message_id(entry)
            sender = entry.get("sender")
            if message_id is None or not isinstance(sender, str | int):
                continue
            messages.append(
                Inbound(
                    provider_message_id=message_id,
                    sender=str(sender),
                    line=str(entry.get("receptor") or line),
                    body=str(entry.get("message") or ""),
                    received_at=_moment(entry.get("date")),
                )
            )
        return messages

    async def _sending(self, method: str, form: dict[str, str], *, label: str, what: str) -> httpx.Response:
        """Post a send call (``label`` names it in logs, ``what`` in errors): a request that never left is
        retryable, one whose answer was lost an unknown outcome."""
        try:
            return await self._post(method, form)
        except _NOT_SENT as exc:
            logger.warning("Kavenegar unreachable sending %s: %s", label, self._redact(exc))
            raise RetryableSendError(
                f"Could not reach Kavenegar ({type(exc).__name__}: {self._redact(exc)})."
            ) from None
        except httpx.TimeoutException as exc:
            logger.warning("Kavenegar timed out sending %s; outcome unknown", label)
            raise OutcomeUnknownError(
                f"Kavenegar did not answer within {self.timeout:g}s ({type(exc).__name__}); it may have "
                f"taken {what}."
            ) from None
        except httpx.TransportError as exc:
            logger.warning("Kavenegar cut off sending %s: %s", label, self._redact(exc))
            raise OutcomeUnknownError(
                f"Kavenegar's answer was cut off ({type(exc).__name__}); it may have taken {what}."
            ) from None

    async def _post(self, method: str, form: dict[str, str]) -> httpx.Response:
        return await self._client.post(
            f"{self._root}/{method}.json",
            data=form,
            timeout=self.timeout,
            headers={"Accept": "application/json"},
        )

    async def _query(self, method: str, form: dict[str, str]) -> list[dict[str, Any]]:
        """The entries of a read-only call; any failure to get them is retryable (nothing was sent)."""
        try:
            response = await self._post(method, form)
        except httpx.TransportError as exc:
            raise RetryableSendError(
                f"Could not ask Kavenegar ({type(exc).__name__}: {self._redact(exc)})."
            ) from None
        code, text, entries = _read(response)
        if code != 200:
            raise _classify(code, text)
        if isinstance(entries, dict):
            entries = [entries]
        return [entry for entry in entries or [] if isinstance(entry, dict)]

    def _redact(self, error: BaseException) -> str:
        """An exception's text without the API key (httpx may quote the URL, which contains it)."""
        return str(error).replace(self._api_key, "***").replace(quote(self._api_key, safe=""), "***")


def final_status(status: object) -> DeliveryStatus | None:
    """What a Kavenegar entry status (an int, or digits as a callback posts them) says, if it is final."""
    try:
        code = int(str(status).strip())
    except ValueError:
        return None
    return FINAL_STATUS.get(code)


def _looked_up(entry: dict[str, Any]) -> LookupResult:
    """A ``statuslocalmessageid`` entry: the message Kavenegar took, or (no id, status 100) none."""
    message_id = _message_id(entry)
    status = entry.get("status")
    if message_id is None or status == UNKNOWN_ID:
        return LookupResult(found=False)
    state = _ENTRY_STATUS.get(status, "sent") if isinstance(status, int) else "sent"
    return LookupResult(found=True, provider_message_id=message_id, status=state)


def _batch_outcome(item: BatchMessage, entry: object) -> BatchOutcome:
    """One message's outcome from its ``sendarray`` entry, read as ``send``'s entry is."""
    if not isinstance(entry, dict):
        return BatchOutcome(item.local_id, "retry", reason="Kavenegar's entry for it was unreadable.")
    if _message_id(entry) is None:
        return BatchOutcome(item.local_id, "retry", reason="Kavenegar returned no message id for it.")
    try:
        result = _result_from([entry])
    except PermanentSendError as error:  # the entry is final with a failure status
        return BatchOutcome(item.local_id, "failed", reason=error.reason, code=error.code)
    return BatchOutcome(item.local_id, "taken", result.provider_message_id, result.status)


def _message_id(entry: dict[str, Any]) -> str | None:
    value = entry.get("messageid")
    if isinstance(value, bool) or not isinstance(value, int | str):
        return None
    text = str(value).strip()
    return text if text and text != "0" else None


def _moment(value: object) -> datetime:
    """A Kavenegar ``date`` (Unix seconds); now when it is missing or unreadable."""
    try:
        return datetime.fromtimestamp(int(str(value)), UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return datetime.now(UTC)


def _read(response: httpx.Response) -> tuple[int, str, Any]:
    """The effective status, Kavenegar's message and the entries of a response, JSON or not."""
    try:
        body = response.json()
    except ValueError:
        body = None
    outcome = body.get("return") if isinstance(body, dict) else None
    if not isinstance(outcome, dict) or not isinstance(outcome.get("status"), int | str):
        return response.status_code, f"unexpected response (HTTP {response.status_code})", None
    try:
        code = int(outcome["status"])
    except ValueError:
        return response.status_code, f"unexpected response (HTTP {response.status_code})", None
    if code == 200 and not response.is_success:
        code = response.status_code
    return code, str(outcome.get("message") or ""), body.get("entries")


def _classify(code: int, text: str) -> RetryableSendError | PermanentSendError:
    """The exception for a non-200 status, per the table in the module docstring."""
    reason = f"Kavenegar {code}: {text}" if text else f"Kavenegar {code}"
    if code == OUT_OF_CREDIT:
        return ProviderOutOfCreditError(reason, code=code)
    if code in RETRYABLE_CODES or (code >= 500 and code not in PERMANENT_5XX_CODES):
        return RetryableSendError(reason, code=code)
    return PermanentSendError(reason, code=code)


def _result_from(entries: Any) -> SendResult:
    """The SendResult for an accepted request's first entry (or an error if it cannot be read)."""
    first = entries[0] if isinstance(entries, list) and entries else None
    entry: dict[str, Any] = first if isinstance(first, dict) else {}
    message_id = _message_id(entry)
    if message_id is None:
        raise RetryableSendError("Kavenegar accepted the request but returned no message id.")
    status = entry.get("status")
    if isinstance(status, int) and status in _ENTRY_FAILED:
        raise PermanentSendError(
            f"Kavenegar message {message_id} is final with status {status}: {entry.get('statustext', '')}",
            code=status,
        )
    state = _ENTRY_STATUS.get(status, "queued") if isinstance(status, int) else "queued"
    return SendResult(message_id, state)
