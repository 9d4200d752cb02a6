"""sms.ir (api.sms.ir, REST v1), the second SMS provider for Iranian stores.

Every call carries the account's key in the ``X-API-KEY`` header and answers one envelope::

    {"status": 1, "message": "موفق", "data": …}

``status`` 1 is success; anything else is an error code (below), usually with HTTP 400 (401 for the key,
429 for the rate limit, 500 on their side). The calls used here:

- send: ``POST /v1/send/bulk`` ``{"lineNumber", "messageText", "mobiles": [one], "sendDateTime": null}`` →
  ``data {"packId", "messageIds": [id], "cost"}``. A message id 0 means the number is on the operators'
  blacklist; null, that the number or text was refused. ``POST /v1/send/verify`` (``mobile``,
  ``templateId``, ``parameters``) sends a template-approved service message (:meth:`send_verify`).
- report: ``GET /v1/send/{messageId}`` → ``data {"messageId", "mobile", "messageText", "sendDateTime",
  "lineNumber", "cost", "deliveryState", "deliveryDateTime"}``; deliveryState 1 delivered, 2 not
  delivered to the phone, 3 at the operator, 4 not reached the operator, 5 reached the operator, 6 error,
  7 blacklisted. Final: 1 → delivered, 4 and 6 → failed, 2 and 7 → undeliverable.
- today's sends ``GET /v1/send/live`` and earlier ones ``GET /v1/send/archive`` (``fromDate``,
  ``toDate`` Unix UTC), 100 a page (``pageSize``, ``pageNumber``): the records above.
- today's inbound ``GET /v1/receive/live`` (``pageSize``, ``pageNumber``, ``sortByNewest``) →
  ``[{"messageText", "number" (our line), "mobile" (the sender), "receivedDateTime"}]``; ``GET /v1/credit``.

Batches (campaigns): ``POST /v1/send/likeToLike`` ``{"lineNumber", "messageTexts", "mobiles",
"sendDateTime": null}`` — one text per number, paired by position, the call that fits per-recipient texts
(``send/bulk`` sends one text to many) — at most :data:`BATCH_SIZE` numbers a call, one line a call; the
answer's ``messageIds`` are per message, in order (0: blacklisted, refused for good; null: refused). 103
(an empty text) and 104 (an invalid number) refuse the whole call for one of its messages: the batch is
split in halves until those stand alone and fail. :meth:`SmsirProvider.look_up_batch` reads today's sends
(and the archive since the attempt) once for the whole batch.

sms.ir has no local id and no duplicate protection, so a lost answer is resolved differently than with
Kavenegar: :meth:`SmsirProvider.look_up` reads today's sends (and the archive since the attempt) for a
message to the same number with the same text sent at or after the attempt — found → its id; not there
→ sms.ir did not take it. Inbound is read from today's list, which repeats: each message gets an id made
of its sender, time and a digest of its text, so a repeated read stores nothing twice.

Errors (R retryable, P permanent, C out of credit): 0 (a problem at sms.ir) R; 10 key invalid, 11 key
disabled, 12 key limited to other IPs, 13 account inactive, 14 account suspended P; 20 too many
requests R; 101 line invalid P; 102 credit too low C; 103–119 and 123 (empty text, invalid numbers,
counts, send time, templates, blacklisted numbers, unapproved text, line not activated) P; HTTP 429 and
5xx without an envelope R; another HTTP 4xx P. A connect failure is R; a timeout or a cut-off answer after
the request went out is :class:`OutcomeUnknownError`. Keys never appear in logs or reasons (they travel
in a header, never in the URL); phones are masked.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Final

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
    SendError,
    SendResult,
)

logger = logging.getLogger("revisit.sms")

RETRYABLE_CODES: Final = frozenset({0, 20})
OUT_OF_CREDIT: Final = 102
NOT_FOUND: Final = 111
PAGE_SIZE: Final = 100
MAX_PAGES: Final = 50
"""Most pages one look-up or inbound read walks (5,000 records)."""
BATCH_LOOKUP_PAGES: Final = 2000
"""Most pages a batch look-up walks (200,000 of the day's sends); past that it cannot say."""
BATCH_SIZE: Final = 100
"""Most numbers one ``send/likeToLike`` call carries (sms.ir's limit)."""
MESSAGE_CODES: Final = frozenset({103, 104})
"""Statuses that refuse a whole batch for what one of its messages holds (an empty text, a bad number)."""
REPORT_CONCURRENCY: Final = 5
CLOCK_SKEW: Final = timedelta(minutes=1)
FINAL_STATE: Final[dict[int, DeliveryStatus]] = {
    1: "delivered",
    4: "failed",
    6: "failed",
    2: "undeliverable",
    7: "undeliverable",
}

_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.LocalProtocolError)


class SmsirProvider(HttpProvider):
    """Sends SMS through sms.ir's REST API from ``line`` (or the sender each call names)."""

    name = "smsir"
    batch_size = BATCH_SIZE
    dedupes_local_ids = False

    def __init__(
        self,
        api_key: str,
        *,
        line: str | None = None,
        base_url: str = "https://api.sms.ir",
        timeout: float = 10.0,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        if not api_key.strip():
            raise ValueError("sms.ir needs an API key")
        self._headers = {"X-API-KEY": api_key, "Accept": "application/json"}
        self.line = line
        super().__init__(base_url=base_url, timeout=timeout, client=client)

    async def send(self, *, receptor: str, message: str, sender: str | None, local_id: str) -> SendResult:
        """Send one SMS with ``send/bulk``; see the module docstring for the errors."""
        line = sender or self.line
        if not line or not line.lstrip("+").isdigit():
            raise PermanentSendError("sms.ir needs a sender line (digits); set the account's line.")
        body = {
            "lineNumber": int(line.lstrip("+")),
            "messageText": message,
            "mobiles": [national(receptor)],
            "sendDateTime": None,
        }
        data = await self._sending("POST", "/v1/send/bulk", body, local_id=local_id, receptor=receptor)
        ids = data.get("messageIds") if isinstance(data, dict) else None
        first = ids[0] if isinstance(ids, list) and ids else None
        return _taken(first, local_id=local_id, receptor=receptor)

    async def send_verify(
        self, *, receptor: str, template_id: int, parameters: dict[str, str], local_id: str
    ) -> SendResult:
        """Send a service message from a template approved in the sms.ir panel (``send/verify``)."""
        body = {
            "mobile": national(receptor),
            "templateId": template_id,
            "parameters": [{"name": name, "value": value} for name, value in parameters.items()],
        }
        data = await self._sending("POST", "/v1/send/verify", body, local_id=local_id, receptor=receptor)
        return _taken(
            data.get("messageId") if isinstance(data, dict) else None, local_id=local_id, receptor=receptor
        )

    async def look_up(
        self, *, local_id: str, receptor: str, message: str, sent_after: datetime
    ) -> LookupResult:
        """The message to ``receptor`` with this text sent at or after ``sent_after``, or the promise that
        sms.ir took none: today's sends first, then the archive since the attempt."""
        mobile = national(receptor).lstrip("0")
        since = int((sent_after - CLOCK_SKEW).timestamp())
        now = int(datetime.now(UTC).timestamp())
        sources: list[tuple[str, dict[str, Any]]] = [
            ("/v1/send/live", {}),  # today's sends
            (
                "/v1/send/archive",
                {"fromDate": since, "toDate": now},
            ),  # up to yesterday's: an attempt at midnight
        ]
        for path, params in sources:
            async for record in self._pages(path, params):
                if (
                    str(record.get("mobile", "")).lstrip("0") == mobile
                    and record.get("messageText") == message
                    and _int(record.get("sendDateTime")) >= since
                ):
                    message_id = _int(record.get("messageId"))
                    if message_id > 0:
                        return LookupResult(found=True, provider_message_id=str(message_id), status="sent")
        return LookupResult(found=False)

    async def send_batch(self, messages: Sequence[BatchMessage]) -> list[BatchOutcome]:
        """Send the messages with ``send/likeToLike``, :data:`BATCH_SIZE` a call and one line a call."""
        by_line: dict[str, list[BatchMessage]] = {}
        for item in messages:
            line = item.sender or self.line
            if not line or not line.lstrip("+").isdigit():
                raise PermanentSendError("sms.ir needs a sender line (digits); set the account's line.")
            by_line.setdefault(line.lstrip("+"), []).append(item)
        found: dict[str, BatchOutcome] = {}
        for line, items in by_line.items():
            for start in range(0, len(items), self.batch_size):
                for outcome in await self._like_to_like(int(line), items[start : start + self.batch_size]):
                    found[outcome.local_id] = outcome
        return [found[item.local_id] for item in messages]

    async def look_up_batch(
        self, messages: Sequence[BatchMessage], *, sent_after: datetime
    ) -> dict[str, LookupResult]:
        """Which of these messages sms.ir sent (same number, same text, at or after ``sent_after``):
        today's sends and the archive since the attempt, read once for the batch."""
        since = int((sent_after - CLOCK_SKEW).timestamp())
        now = int(datetime.now(UTC).timestamp())
        wanted: dict[tuple[str, str], list[str]] = {}
        for item in messages:
            wanted.setdefault((national(item.receptor).lstrip("0"), item.message), []).append(item.local_id)
        found: dict[str, LookupResult] = {}
        for path, params in (("/v1/send/live", {}), ("/v1/send/archive", {"fromDate": since, "toDate": now})):
            async for record in self._pages(path, params, max_pages=BATCH_LOOKUP_PAGES):
                key = (str(record.get("mobile", "")).lstrip("0"), str(record.get("messageText")))
                message_id = _int(record.get("messageId"))
                if key in wanted and message_id > 0 and _int(record.get("sendDateTime")) >= since:
                    for local_id in wanted.pop(key):
                        found[local_id] = LookupResult(True, str(message_id), "sent")
        for local_ids in wanted.values():
            found.update(dict.fromkeys(local_ids, LookupResult(found=False)))
        return found

    async def _like_to_like(self, line: int, batch: list[BatchMessage]) -> list[BatchOutcome]:
        """One ``likeToLike`` call, split in halves while a status refuses it for one of its messages."""
        body = {
            "lineNumber": line,
            "messageTexts": [item.message for item in batch],
            "mobiles": [national(item.receptor) for item in batch],
            "sendDateTime": None,
        }
        label = f"a batch of {len(batch)}"
        try:
            data = await self._sending("POST", "/v1/send/likeToLike", body, local_id=label, receptor="")
        except PermanentSendError as error:
            if error.code not in MESSAGE_CODES:
                raise
            if len(batch) == 1:
                return [BatchOutcome(batch[0].local_id, "failed", reason=error.reason, code=error.code)]
            middle = len(batch) // 2
            return await self._like_to_like(line, batch[:middle]) + await self._like_to_like(
                line, batch[middle:]
            )
        ids = data.get("messageIds") if isinstance(data, dict) else None
        if not isinstance(ids, list) or len(ids) != len(batch):
            raise OutcomeUnknownError("sms.ir took the batch but its answer does not list every message.")
        return [_batch_outcome(item, message_id) for item, message_id in zip(batch, ids, strict=True)]

    async def delivery_reports(self, provider_message_ids: Sequence[str]) -> list[DeliveryReport]:
        """Final reports, one ``send/{id}`` call per message, a few at a time."""
        gate = asyncio.Semaphore(REPORT_CONCURRENCY)

        async def one(message_id: str) -> DeliveryReport | None:
            if not message_id.isdigit():
                return None
            async with gate:
                try:
                    data = await self._reading("GET", f"/v1/send/{message_id}", params={})
                except PermanentSendError as exc:
                    if exc.code == NOT_FOUND:  # an id sms.ir does not know (any more): no report
                        return None
                    raise
            if not isinstance(data, dict):
                return None
            final = FINAL_STATE.get(_int(data.get("deliveryState")))
            if final is None:
                return None
            moment = _int(data.get("deliveryDateTime"))
            at = datetime.fromtimestamp(moment, UTC) if moment > 0 else datetime.now(UTC)
            return DeliveryReport(message_id, final, at)

        found = await asyncio.gather(*(one(message_id) for message_id in dict.fromkeys(provider_message_ids)))
        return [report for report in found if report is not None]

    async def inbound(self, *, line: str | None) -> list[Inbound]:
        """Today's messages to ``line`` (all lines when None); the list repeats, the ids make it safe."""
        messages: list[Inbound] = []
        async for record in self._pages("/v1/receive/live", {"sortByNewest": "false"}):
            number = str(record.get("number", ""))
            if line and number.lstrip("+") != line.lstrip("+"):
                continue
            sender = str(record.get("mobile", ""))
            text = str(record.get("messageText") or "")
            moment = _int(record.get("receivedDateTime"))
            digest = hashlib.sha256(text.encode()).hexdigest()[:16]
            messages.append(
                Inbound(
                    provider_message_id=f"{sender}:{moment}:{digest}",
                    sender=sender,
                    line=number,
                    body=text,
                    received_at=datetime.fromtimestamp(moment, UTC) if moment > 0 else datetime.now(UTC),
                )
            )
        return messages

    async def credit(self) -> float:
        """The account's remaining credit, as sms.ir counts it."""
        data = await self._reading("GET", "/v1/credit", params={})
        try:
            return float(data)
        except (TypeError, ValueError):
            raise RetryableSendError("sms.ir answered the credit without a number.") from None

    async def _pages(
        self, path: str, params: dict[str, Any], *, max_pages: int = MAX_PAGES
    ) -> AsyncIterator[dict[str, Any]]:
        """Every record of a paged list; raises :class:`RetryableSendError` past ``max_pages`` (a look-up
        that has not read everything cannot promise a message is not there)."""
        for page in range(1, max_pages + 1):
            data = await self._reading(
                "GET", path, params={**params, "pageSize": PAGE_SIZE, "pageNumber": page}
            )
            records = (
                [record for record in data or [] if isinstance(record, dict)]
                if isinstance(data, list)
                else []
            )
            for record in records:
                yield record
            if len(records) < PAGE_SIZE:
                return
        raise RetryableSendError(f"sms.ir's {path} holds more than {max_pages * PAGE_SIZE} records.")

    async def _sending(
        self, method: str, path: str, body: dict[str, Any], *, local_id: str, receptor: str
    ) -> Any:
        masked = mask_phone(receptor)
        try:
            response = await self._request(method, path, json=body)
        except _NOT_SENT as exc:
            logger.warning("sms.ir unreachable sending %s to %s: %s", local_id, masked, type(exc).__name__)
            raise RetryableSendError(f"Could not reach sms.ir ({type(exc).__name__}).") from None
        except httpx.TimeoutException as exc:
            logger.warning("sms.ir timed out sending %s to %s; outcome unknown", local_id, masked)
            raise OutcomeUnknownError(
                f"sms.ir did not answer within {self.timeout:g}s ({type(exc).__name__}); it may have taken "
                "the message."
            ) from None
        except httpx.TransportError as exc:
            logger.warning("sms.ir cut off sending %s to %s: %s", local_id, masked, type(exc).__name__)
            raise OutcomeUnknownError(
                f"sms.ir's answer was cut off ({type(exc).__name__}); it may have taken the message."
            ) from None
        try:
            return _data(response)
        except SendError as error:
            logger.warning(
                "sms.ir refused %s to %s: %s (%s)", local_id, masked, error.code, type(error).__name__
            )
            raise

    async def _reading(self, method: str, path: str, *, params: dict[str, Any]) -> Any:
        try:
            response = await self._request(method, path, params=params)
        except httpx.TransportError as exc:
            raise RetryableSendError(f"Could not ask sms.ir ({type(exc).__name__}).") from None
        return _data(response)

    async def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return await self._client.request(
            method, f"{self.base_url}{path}", headers=self._headers, timeout=self.timeout, **kwargs
        )


def national(e164: str) -> str:
    """An Iranian E.164 number as sms.ir expects it (``09121234567``); other numbers as digits."""
    digits = "".join(ch for ch in e164 if ch.isdigit())
    if e164.startswith("+98"):
        return "0" + digits[2:]
    return digits


def final_state(state: object) -> DeliveryStatus | None:
    """What an sms.ir deliveryState says, when it is final."""
    return FINAL_STATE.get(_int(state))


def _int(value: object) -> int:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return -1


def _batch_outcome(item: BatchMessage, message_id: object) -> BatchOutcome:
    """One message's outcome from its place in a batch's ``messageIds``."""
    number = _int(message_id)
    if message_id is None or number < 0:
        return BatchOutcome(item.local_id, "failed", reason="sms.ir refused the number or the text.")
    if number == 0:
        return BatchOutcome(
            item.local_id, "failed", reason="sms.ir: the number is on the operators' blacklist.", code=115
        )
    return BatchOutcome(item.local_id, "taken", str(number), "queued")


def _taken(message_id: object, *, local_id: str, receptor: str) -> SendResult:
    number = _int(message_id)
    if message_id is None or number < 0:
        raise PermanentSendError("sms.ir refused the number or the text (no message id).")
    if number == 0:
        raise PermanentSendError("sms.ir: the number is on the operators' blacklist.", code=115)
    logger.info("sms.ir took %s to %s as %s", local_id, mask_phone(receptor), number)
    return SendResult(str(number), "queued")


def _data(response: httpx.Response) -> Any:
    """The envelope's ``data``, or the error its status (or the HTTP status) stands for."""
    try:
        body = response.json()
    except ValueError:
        body = None
    status = body.get("status") if isinstance(body, dict) else None
    if isinstance(status, bool) or not isinstance(status, int):
        code = response.status_code
        reason = f"sms.ir answered HTTP {code} without its envelope"
        if code == 429 or code >= 500:
            raise RetryableSendError(reason, code=code)
        if response.is_success:
            raise RetryableSendError(reason, code=code)
        raise PermanentSendError(reason, code=code)
    if status == 1:
        return body.get("data")
    text = str(body.get("message") or "")
    reason = f"sms.ir {status}: {text}" if text else f"sms.ir {status}"
    if status == OUT_OF_CREDIT:
        raise ProviderOutOfCreditError(reason, code=status)
    if status in RETRYABLE_CODES or response.status_code == 429:
        raise RetryableSendError(reason, code=status)
    raise PermanentSendError(reason, code=status)
