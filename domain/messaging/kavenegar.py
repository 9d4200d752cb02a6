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
network, timeout   no answer                                                    R
200, no entries    accepted but unreadable (no message id)                      R
=================  ===========================================================  ==================

"R, out of credit" is :class:`ProviderOutOfCreditError`, a retryable error the caller answers by
pausing sending until the account is topped up.

An entry whose own status is final failure (6 failed, 11 undelivered, 13 cancelled, 14 blocked by
the recipient) — possible when a repeated ``localid`` returns an old message — is P.

Phone numbers appear in logs masked; the API key, which Kavenegar puts in the URL path, appears in
no log line or error reason written here. httpx itself logs request URLs on the ``httpx`` logger at
INFO, so production logging must keep that logger at WARNING or above.
"""

from __future__ import annotations

import logging
from types import TracebackType
from typing import Any
from urllib.parse import quote

import httpx

from domain.customers.phones import mask_phone
from domain.messaging.providers import (
    PermanentSendError,
    ProviderOutOfCreditError,
    RetryableSendError,
    SendResult,
)

logger = logging.getLogger("revisit.sms")

RETRYABLE_CODES = frozenset({402, 409, 429, 451})
PERMANENT_5XX_CODES = frozenset({501})
OUT_OF_CREDIT = 418

_ENTRY_STATUS = {1: "queued", 2: "queued", 4: "sent", 5: "sent", 10: "delivered"}
_ENTRY_FAILED = frozenset({6, 11, 13, 14})


class KavenegarProvider:
    """Sends SMS through Kavenegar's REST API. Pass ``client`` to share a connection pool.

    A client created here is closed by :meth:`aclose` (or ``async with``); a client passed in is
    left to its owner.
    """

    name = "kavenegar"

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
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._client = client if client is not None else httpx.AsyncClient()
        self._owns_client = client is None
        self._send_url = f"{self.base_url}/v1/{quote(api_key, safe='')}/sms/send.json"

    def __repr__(self) -> str:
        return f"KavenegarProvider(base_url={self.base_url!r})"

    async def aclose(self) -> None:
        """Close the HTTP client if this provider created it."""
        if self._owns_client:
            await self._client.aclose()

    async def __aenter__(self) -> KavenegarProvider:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def send(self, *, receptor: str, message: str, sender: str | None, local_id: str) -> SendResult:
        """Send one SMS; see the module docstring for what is retried and what is final."""
        form = {"receptor": receptor, "message": message, "localid": local_id}
        if sender:
            form["sender"] = sender
        masked = mask_phone(receptor)
        try:
            response = await self._client.post(
                self._send_url, data=form, timeout=self.timeout, headers={"Accept": "application/json"}
            )
        except httpx.TimeoutException as exc:
            logger.warning("Kavenegar timed out sending %s to %s", local_id, masked)
            raise RetryableSendError(
                f"Kavenegar did not answer within {self.timeout:g}s ({type(exc).__name__})."
            ) from None
        except httpx.TransportError as exc:
            logger.warning("Kavenegar unreachable sending %s to %s: %s", local_id, masked, self._redact(exc))
            raise RetryableSendError(
                f"Could not reach Kavenegar ({type(exc).__name__}: {self._redact(exc)})."
            ) from None

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

    def _redact(self, error: BaseException) -> str:
        """An exception's text without the API key (httpx may quote the URL, which contains it)."""
        return str(error).replace(self._api_key, "***").replace(quote(self._api_key, safe=""), "***")


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
    message_id = entry.get("messageid")
    if isinstance(message_id, bool) or not isinstance(message_id, int | str) or not str(message_id):
        raise RetryableSendError("Kavenegar accepted the request but returned no message id.")
    status = entry.get("status")
    if isinstance(status, int) and status in _ENTRY_FAILED:
        raise PermanentSendError(
            f"Kavenegar message {message_id} is final with status {status}: {entry.get('statustext', '')}",
            code=status,
        )
    state = _ENTRY_STATUS.get(status, "queued") if isinstance(status, int) else "queued"
    return SendResult(str(message_id), state)
