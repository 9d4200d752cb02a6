"""A local Kavenegar: a real HTTP server that speaks Kavenegar's ``sms/send`` protocol.

Point a ``KavenegarProvider`` (or a whole Revisit app, via its settings) at ``server.base_url`` and
it exercises the real adapter over real HTTP: form encoding, JSON parsing, status codes, timeouts.
Nothing is mocked inside Revisit.

Usage::

    async with running_kavenegar(api_key="test-key") as kavenegar:
        provider = KavenegarProvider("test-key", base_url=kavenegar.base_url)
        kavenegar.fail_next(409)                  # the next request: "server busy"
        ...
        assert kavenegar.received[0]["localid"] == str(message.id)

Synchronous code can use ``with KavenegarServer(...) as kavenegar:`` instead.

What it does, as the real API does:

- ``POST`` (or ``GET``) ``/v1/{api_key}/sms/send.json`` with ``receptor``, ``message``, optional
  ``sender`` and ``localid``, as a form body or a query string. Several receptors may be given
  comma-separated, with as many comma-separated localids.
- Answers ``{"return": {"status": 200, "message": "تایید شد"}, "entries": [...]}`` with one entry per
  receptor (``messageid``, ``message``, ``status`` 1 "در صف ارسال", ``sender``, ``receptor``, ``date``,
  ``cost``). Message ids count up from 8792343.
- Errors use the same envelope with ``entries: null`` and an HTTP status equal to ``return.status``:
  403 for a wrong API key, 400 for missing parameters, 406 for an empty receptor, 411 for a receptor
  that is not an Iranian mobile number, 412 for a sender line that is not digits (or not in
  ``lines`` when given), 413 for an empty or too long message (612 Latin / 268 other characters),
  414 for more than 200 receptors, 419 when receptor and localid counts differ, 404 for other
  methods and 405 for HTTP methods other than GET and POST.
- Duplicate protection: a ``localid`` seen before is answered with the original entry and nothing
  is sent again (the request is not added to ``received``).
- ``sms/sendarray.json`` with ``receptor``, ``message``, optional ``sender`` and ``localmessageids``, each
  a JSON array (``localmessageids`` may also come comma-separated, as one official SDK sends it); a
  one-item ``sender`` or ``message`` array stands for every receptor. At most ``max_batch`` (200)
  receptors, else 414; arrays of other lengths 419; a field that is not a JSON array of strings 400;
  then the same checks as ``send`` (411, 412, 413 for any one message refuse the whole call). One entry
  per receptor, in order; a known local id gets its original entry and is not sent again.
- ``latency`` (seconds, default 0) delays every ``send``/``sendarray`` answer, as a real API's round
  trip; ``taken`` counts every message the server took (each local id once) and ``taken_log`` holds its
  ``(localid, receptor)``; ``resubmitted`` counts every message that came again with a local id it had
  already taken.
- ``sms/statuslocalmessageid.json`` with ``localid`` (comma-separated): one entry per local id,
  ``{"messageid", "localid", "status", "statustext"}``; a local id never sent has messageid 0 and
  status 100 ("شناسه نامعتبر").
- ``sms/status.json`` with ``messageid`` (comma-separated, at most 500, else 414): one entry per id,
  ``{"messageid", "status", "statustext"}``, status 100 for an id it does not know.
- ``sms/receive.json`` with ``linenumber`` and ``isread`` 0: the unread messages to that line
  (``{"messageid", "message", "sender", "receptor", "date"}``), then marked read; 400 without a line.

What tests can look at and script (all thread-safe; the server runs in its own thread and loop, so
it keeps answering even while the test's event loop is busy or blocked):

- ``received``: the fields of every request that sent at least one new message, in order.
- ``attempts``: the fields of every request that reached ``sms/send``, including refused ones.
- ``entries``: every entry the server created (one per delivered SMS).
- ``fail_next(status, times=1, message=None, body=None)``: the next ``times`` requests are
  answered with that Kavenegar error (or a raw ``body``, e.g. an HTML gateway page) and deliver
  nothing.
- ``stall_next(seconds, times=1)``: the next ``times`` requests are accepted and delivered, but the
  answer comes ``seconds`` late, as when a client times out on a message that did go out.
- ``lose_next(seconds, times=1)``: the next ``times`` requests are lost inside the server (nothing is
  delivered) and answered with a 500 ``seconds`` late, as when a client times out on a message that
  did not go out.
- ``entry_for(localid)``, ``reset()``.
- ``set_status(messageid, status)``: what the operator later says of a message (10 delivered, …).
- ``text_in(sender, message, line=None)``: a customer's SMS to a line, unread until polled; returns its id.
- ``status_calls``, ``lookup_calls``, ``receive_calls``: the fields of every such request.

Scripted answers are used in order, before any other check (including the API key).
"""

from __future__ import annotations

import asyncio
import json
import math
import re
import threading
import time
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.support.threaded_server import ThreadedServer

DEFAULT_API_KEY = "test-kavenegar-api-key"
DEFAULT_SENDER = "10004346"
FIRST_MESSAGE_ID = 8792343
MAX_RECEPTORS = 200
COST_PER_PART = 1200  # rials; an approximation, Kavenegar's real price depends on line and operator

MESSAGES: dict[int, str] = {
    200: "تایید شد",
    400: "پارامترها ناقص هستند",
    401: "حساب کاربری غیرفعال شده است",
    402: "عملیات ناموفق بود",
    403: "کد شناسائی API-Key معتبر نمی‌باشد",
    404: "متدی با این نام پیدا نشده است",
    405: "متد فراخوانی Get یا Post اشتباه است",
    406: "پارامترهای اجباری خالی ارسال شده اند",
    407: "دسترسی به اطلاعات مورد نظر برای شما امکان پذیر نیست",
    409: "سرور قادر به پاسخگوئی نیست بعدا تلاش کنید",
    411: "دریافت کننده نامعتبر است",
    412: "ارسال کننده نامعتبر است",
    413: "پیام خالی است و یا طول پیام بیش از حد مجاز می‌باشد",
    414: "حجم درخواست بیشتر از حد مجاز است",
    418: "اعتبار حساب شما کافی نیست",
    419: "تعداد اعضای آرایه متن و گیرنده و ارسال کننده هم اندازه نیست",
    422: "داده ها به دلیل وجود کاراکتر نامناسب قابل پردازش نیست",
    451: "فراخوانی بیش از حد در بازه زمانی مشخص",
    500: "خطای داخلی سرور",
}

STATUS_TEXT: dict[int, str] = {
    1: "در صف ارسال",
    2: "زمان بندی شده",
    4: "ارسال شده به مخابرات",
    5: "ارسال شده به مخابرات",
    6: "خطا در ارسال پیام",
    10: "رسیده به گیرنده",
    11: "نرسیده به گیرنده",
    13: "ارسال پیام از سمت کاربر لغو شده",
    14: "بلاک شده توسط گیرنده",
    100: "شناسه پیامک نامعتبر است",
}

_ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
_IRANIAN_MOBILE = re.compile(r"(?:\+98|0098|98|0)?9\d{9}")
_SENDER_LINE = re.compile(r"\+?\d{4,20}")


@dataclass(frozen=True)
class _Scripted:
    """One scripted answer: an error (``status``) or a delay before a normal answer (``stall``); with
    ``lose`` the request is dropped inside the server: nothing is delivered and the answer, after the
    stall, is a 500."""

    status: int | None = None
    message: str | None = None
    body: str | None = None
    stall: float = 0.0
    lose: bool = False


class KavenegarServer:
    """The server and its observable state. Start it with ``running_kavenegar`` or ``with``."""

    def __init__(
        self,
        api_key: str = DEFAULT_API_KEY,
        *,
        default_sender: str = DEFAULT_SENDER,
        lines: set[str] | None = None,
        max_batch: int = MAX_RECEPTORS,
        latency: float = 0.0,
    ) -> None:
        self.api_key = api_key
        self.max_batch = max_batch
        self.latency = latency
        self.taken = 0
        self.resubmitted = 0
        self.taken_log: list[tuple[str | None, str]] = []
        self.default_sender = default_sender
        self.lines = lines
        self.received: list[dict[str, str]] = []
        self.attempts: list[dict[str, str]] = []
        self.entries: list[dict[str, Any]] = []
        self._by_localid: dict[str, dict[str, Any]] = {}
        self._script: deque[_Scripted] = deque()
        self._next_id = FIRST_MESSAGE_ID
        self._by_id: dict[int, dict[str, Any]] = {}
        self.inbox: list[dict[str, Any]] = []
        self.status_calls: list[dict[str, str]] = []
        self.lookup_calls: list[dict[str, str]] = []
        self.receive_calls: list[dict[str, str]] = []
        self._next_inbound = 40_000_001
        self._lock = threading.Lock()
        self.app = Starlette(
            routes=[
                Route("/v1/{api_key}/sms/send.json", self._send, methods=_ALL_METHODS),
                Route("/v1/{api_key}/sms/sendarray.json", self._send_array, methods=_ALL_METHODS),
                Route("/v1/{api_key}/sms/statuslocalmessageid.json", self._lookup, methods=["GET", "POST"]),
                Route("/v1/{api_key}/sms/status.json", self._status, methods=["GET", "POST"]),
                Route("/v1/{api_key}/sms/receive.json", self._receive, methods=["GET", "POST"]),
                Route("/v1/{api_key}/{rest:path}", self._unknown_method, methods=_ALL_METHODS),
            ]
        )
        self._http = ThreadedServer(self.app, name="Kavenegar test server")

    # -- scripting and inspection -------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``: pass it as the provider's ``base_url``."""
        return self._http.base_url

    def fail_next(
        self, status_code: int, times: int = 1, *, message: str | None = None, body: str | None = None
    ) -> None:
        """Answer the next ``times`` requests with this error status; nothing is delivered."""
        with self._lock:
            self._script.extend(
                _Scripted(status=status_code, message=message, body=body) for _ in range(times)
            )

    def stall_next(self, seconds: float, times: int = 1) -> None:
        """Deliver the next ``times`` requests normally but answer each only after ``seconds``."""
        with self._lock:
            self._script.extend(_Scripted(stall=seconds) for _ in range(times))

    def lose_next(self, seconds: float, times: int = 1) -> None:
        """Take the next ``times`` requests, deliver nothing, and answer 500 only after ``seconds``."""
        with self._lock:
            self._script.extend(_Scripted(stall=seconds, lose=True) for _ in range(times))

    def entry_for(self, localid: str) -> dict[str, Any] | None:
        """The entry created for ``localid``, if any."""
        with self._lock:
            entry = self._by_localid.get(localid)
            return dict(entry) if entry is not None else None

    def set_status(self, messageid: int | str, status: int) -> None:
        """Change a sent message's status, as the operator's report would."""
        with self._lock:
            entry = self._by_id[int(messageid)]
            entry["status"] = status
            entry["statustext"] = STATUS_TEXT.get(status, "")

    def text_in(self, sender: str, message: str, line: str | None = None) -> int:
        """A customer texts ``message`` from ``sender`` to ``line`` (the default line); its message id."""
        with self._lock:
            messageid = self._next_inbound
            self._next_inbound += 1
            self.inbox.append(
                {
                    "messageid": messageid,
                    "message": message,
                    "sender": sender,
                    "receptor": line or self.default_sender,
                    "date": int(time.time()),
                    "read": False,
                }
            )
            return messageid

    def reset(self) -> None:
        """Forget every request, entry, localid and scripted answer (message ids keep counting)."""
        with self._lock:
            self.received.clear()
            self.attempts.clear()
            self.entries.clear()
            self._by_localid.clear()
            self._by_id.clear()
            self._script.clear()
            self.inbox.clear()
            self.status_calls.clear()
            self.lookup_calls.clear()
            self.receive_calls.clear()
            self.taken = self.resubmitted = 0
            self.taken_log.clear()

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self, timeout: float = 10.0) -> None:
        """Start serving on a free port of 127.0.0.1 in a background thread; return once it listens."""
        self._http.start(timeout)

    def stop(self) -> None:
        """Stop serving and wait for the thread (stalled requests are cut off after a second)."""
        self._http.stop()

    def __enter__(self) -> KavenegarServer:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- the protocol --------------------------------------------------------------------------

    async def _send(self, request: Request) -> Response:
        fields = await _fields(request)
        stall, refusal = await self._attempt(request, fields)
        if refusal is not None:
            return refusal
        refusal = self._validate(fields)
        if refusal is not None:
            return _error(refusal)
        receptors = _split(fields["receptor"])
        localids = _split(fields.get("localid", ""))
        sender = fields.get("sender", "").strip()
        entries = self._deliver(
            fields,
            receptors,
            [fields["message"]] * len(receptors),
            [sender] * len(receptors),
            list(localids) or [None] * len(receptors),
        )
        await asyncio.sleep(self.latency + stall)
        return _ok(entries)

    async def _send_array(self, request: Request) -> Response:
        try:
            fields = await _fields(request)
        except ClientDisconnect:  # the client died while sending (a killed worker): nothing arrived
            return Response(status_code=400)
        stall, refusal = await self._attempt(request, fields)
        if refusal is not None:
            return refusal
        arrays = _arrays(fields)
        if isinstance(arrays, int):
            return _error(arrays)
        receptors, messages, senders, localids = arrays
        refusal = self._validate_array(receptors, messages, senders, localids)
        if refusal is not None:
            return _error(refusal)
        count = len(receptors)
        entries = self._deliver(
            fields,
            receptors,
            messages * count if len(messages) == 1 else messages,
            (senders * count if len(senders) == 1 else senders) or [""] * count,
            list(localids) or [None] * count,
        )
        await asyncio.sleep(self.latency + stall)
        return _ok(entries)

    async def _attempt(self, request: Request, fields: dict[str, str]) -> tuple[float, Response | None]:
        """Record a ``send``/``sendarray`` attempt: the scripted stall to wait after delivering, and the
        answer a script, a wrong key or a wrong method gives instead of the real one."""
        with self._lock:
            self.attempts.append(fields)
            scripted = self._script.popleft() if self._script else None
        if scripted is not None and scripted.status is not None:
            if scripted.body is not None:
                return 0.0, Response(scripted.body, status_code=scripted.status, media_type="text/html")
            return 0.0, _error(scripted.status, scripted.message)
        if scripted is not None and scripted.lose:
            await asyncio.sleep(scripted.stall)
            return scripted.stall, _error(500)
        stall = scripted.stall if scripted is not None else 0.0
        if request.path_params["api_key"] != self.api_key:
            return stall, _error(403)
        if request.method not in ("GET", "POST"):
            return stall, _error(405)
        return stall, None

    async def _scripted(
        self, request: Request, calls: list[dict[str, str]]
    ) -> tuple[dict[str, str], Response | None]:
        """The request's fields, and the answer a script or a wrong key gives instead of the real one."""
        fields = await _fields(request)
        with self._lock:
            calls.append(fields)
            scripted = self._script.popleft() if self._script else None
        if scripted is not None and scripted.status is not None:
            if scripted.body is not None:
                return fields, Response(scripted.body, status_code=scripted.status, media_type="text/html")
            return fields, _error(scripted.status, scripted.message)
        if scripted is not None and scripted.stall:
            await asyncio.sleep(scripted.stall)
            if scripted.lose:
                return fields, _error(500)
        if request.path_params["api_key"] != self.api_key:
            return fields, _error(403)
        return fields, None

    async def _lookup(self, request: Request) -> Response:
        fields, refusal = await self._scripted(request, self.lookup_calls)
        if refusal is not None:
            return refusal
        localids = _split(fields.get("localid", ""))
        if not localids:
            return _error(400)
        entries = []
        with self._lock:
            for localid in localids:
                entry = self._by_localid.get(localid)
                if entry is None:
                    entries.append(
                        {"messageid": 0, "localid": localid, "status": 100, "statustext": STATUS_TEXT[100]}
                    )
                else:
                    entries.append(
                        {
                            "messageid": entry["messageid"],
                            "localid": localid,
                            "status": entry["status"],
                            "statustext": entry["statustext"],
                        }
                    )
        return _ok(entries)

    async def _status(self, request: Request) -> Response:
        fields, refusal = await self._scripted(request, self.status_calls)
        if refusal is not None:
            return refusal
        ids = _split(fields.get("messageid", ""))
        if not ids:
            return _error(400)
        if len(ids) > 500:
            return _error(414)
        entries = []
        with self._lock:
            for raw in ids:
                entry = self._by_id.get(int(raw)) if raw.isdigit() else None
                if entry is None:
                    entries.append({"messageid": raw, "status": 100, "statustext": STATUS_TEXT[100]})
                else:
                    entries.append(
                        {
                            "messageid": entry["messageid"],
                            "status": entry["status"],
                            "statustext": entry["statustext"],
                        }
                    )
        return _ok(entries)

    async def _receive(self, request: Request) -> Response:
        fields, refusal = await self._scripted(request, self.receive_calls)
        if refusal is not None:
            return refusal
        line = fields.get("linenumber", "").strip()
        if not line or fields.get("isread") not in ("0", "1"):
            return _error(400)
        unread = fields["isread"] == "0"
        with self._lock:
            chosen = [item for item in self.inbox if item["receptor"] == line and item["read"] is not unread]
            for item in chosen:
                item["read"] = True
            entries = [{key: value for key, value in item.items() if key != "read"} for item in chosen]
        return _ok(entries)

    async def _unknown_method(self, request: Request) -> Response:
        if request.path_params["api_key"] != self.api_key:
            return _error(403)
        return _error(404)

    def _validate(self, fields: dict[str, str]) -> int | None:
        """The Kavenegar status refusing these fields, or None when they can be sent."""
        if "receptor" not in fields or "message" not in fields:
            return 400
        receptors = _split(fields["receptor"])
        if not receptors:
            return 406
        if len(receptors) > MAX_RECEPTORS:
            return 414
        if not all(_IRANIAN_MOBILE.fullmatch(receptor) for receptor in receptors):
            return 411
        sender = fields.get("sender", "").strip()
        if sender and not self._line_allowed(sender):
            return 412
        if not _message_allowed(fields["message"]):
            return 413
        localids = _split(fields.get("localid", ""))
        if localids and len(localids) != len(receptors):
            return 419
        return None

    def _validate_array(
        self, receptors: list[str], messages: list[str], senders: list[str], localids: list[str]
    ) -> int | None:
        """The Kavenegar status refusing a ``sendarray`` call, or None when it can be sent."""
        if not receptors:
            return 406
        if len(receptors) > self.max_batch:
            return 414
        count = len(receptors)
        if len(messages) not in (1, count) or len(senders) not in (0, 1, count):
            return 419
        if localids and len(localids) != count:
            return 419
        if not all(_IRANIAN_MOBILE.fullmatch(receptor) for receptor in receptors):
            return 411
        if not all(self._line_allowed(sender) for sender in senders):
            return 412
        if not all(_message_allowed(message) for message in messages):
            return 413
        return None

    def _line_allowed(self, sender: str) -> bool:
        """Whether ``sender`` is a line number (and one of ``lines``, when given)."""
        return bool(_SENDER_LINE.fullmatch(sender)) and (self.lines is None or sender in self.lines)

    def _deliver(
        self,
        fields: dict[str, str],
        receptors: list[str],
        messages: list[str],
        senders: list[str],
        localids: list[str | None],
    ) -> list[dict[str, Any]]:
        """One entry per receptor: the original for a known localid, a new message otherwise."""
        answer: list[dict[str, Any]] = []
        delivered_any = False
        with self._lock:
            for receptor, message, sender, localid in zip(
                receptors, messages, senders, localids, strict=True
            ):
                original = self._by_localid.get(localid) if localid is not None else None
                if original is not None:
                    self.resubmitted += 1
                    answer.append(dict(original))
                    continue
                entry = {
                    "messageid": self._next_id,
                    "message": message,
                    "status": 1,
                    "statustext": "در صف ارسال",
                    "sender": sender or self.default_sender,
                    "receptor": receptor,
                    "date": int(time.time()),
                    "cost": COST_PER_PART * _approximate_parts(message),
                }
                self.taken += 1
                self.taken_log.append((localid, receptor))
                self._next_id += 1
                self.entries.append(entry)
                self._by_id[entry["messageid"]] = entry
                if localid is not None:
                    self._by_localid[localid] = entry
                answer.append(dict(entry))
                delivered_any = True
            if delivered_any:
                self.received.append(fields)
        return answer


@asynccontextmanager
async def running_kavenegar(
    api_key: str = DEFAULT_API_KEY,
    *,
    default_sender: str = DEFAULT_SENDER,
    lines: set[str] | None = None,
    max_batch: int = MAX_RECEPTORS,
    latency: float = 0.0,
) -> AsyncIterator[KavenegarServer]:
    """Run a local Kavenegar for the duration of the block (started and stopped off the event loop)."""
    server = KavenegarServer(
        api_key, default_sender=default_sender, lines=lines, max_batch=max_batch, latency=latency
    )
    await asyncio.to_thread(server.start)
    try:
        yield server
    finally:
        await asyncio.to_thread(server.stop)


async def _fields(request: Request) -> dict[str, str]:
    """Query parameters and the url-encoded body together, as Kavenegar accepts either."""
    fields = dict(request.query_params)
    body = (await request.body()).decode("utf-8", errors="replace")
    if body:
        fields.update(parse_qsl(body, keep_blank_values=True))
    return fields


def _arrays(fields: dict[str, str]) -> tuple[list[str], list[str], list[str], list[str]] | int:
    """``sendarray``'s receptor, message, sender and localmessageids arrays, or the status refusing them."""
    if "receptor" not in fields or "message" not in fields:
        return 400
    found: list[list[str]] = []
    for name in ("receptor", "message", "sender", "localmessageids"):
        raw = fields.get(name, "").strip()
        if not raw:
            found.append([])
            continue
        if name == "localmessageids" and not raw.startswith("["):
            found.append(_split(raw))
            continue
        try:
            value = json.loads(raw)
        except ValueError:
            return 400
        if not isinstance(value, list) or not all(isinstance(item, str | int) for item in value):
            return 400
        found.append([str(item) for item in value])
    return found[0], found[1], found[2], found[3]


def _message_allowed(message: str) -> bool:
    """Whether a text is neither empty nor too long (612 Latin / 268 other characters)."""
    return bool(message.strip()) and len(message) <= (612 if message.isascii() else 268)


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def _approximate_parts(message: str) -> int:
    """Parts by length only (ASCII as GSM-7, anything else as UCS-2); independent of Revisit's counter."""
    single, per_part = (160, 153) if message.isascii() else (70, 67)
    return 1 if len(message) <= single else math.ceil(len(message) / per_part)


def _ok(entries: list[dict[str, Any]]) -> JSONResponse:
    return JSONResponse({"return": {"status": 200, "message": MESSAGES[200]}, "entries": entries})


def _error(status: int, message: str | None = None) -> JSONResponse:
    return JSONResponse(
        {"return": {"status": status, "message": message or MESSAGES.get(status, "خطا")}, "entries": None},
        status_code=status,
    )
