"""A local sms.ir: a real HTTP server that speaks sms.ir's REST v1 protocol.

Point a ``SmsirProvider`` at ``server.base_url`` and it exercises the real adapter over real HTTP: JSON
bodies, the ``X-API-KEY`` header, the ``{"status", "message", "data"}`` envelope, timeouts. Usage::

    async with running_smsir(api_key="test-key") as smsir:
        provider = SmsirProvider("test-key", line="30007732", base_url=smsir.base_url)

What it does, as the real API does:

- Every route needs ``X-API-KEY``: a wrong one is HTTP 401 ``{"status": 10, …}``.
- ``POST /v1/send/bulk`` ``{lineNumber, messageText, mobiles, sendDateTime}``: 101 for a line not in
  ``lines``, 103 for an empty text, 107 for no mobiles, 105 for more than 100, 104 for a mobile that is
  not an Iranian mobile, 102 when ``credit`` is below the cost; a mobile in ``blacklist`` gets message id
  0. Answers ``data {"packId", "messageIds", "cost"}``; ids count up from 600000001.
- ``POST /v1/send/likeToLike`` (``messageTexts`` and ``mobiles`` of one length, else 110) and
  ``POST /v1/send/verify`` (``mobile``, ``templateId`` in ``templates`` else 113, ``parameters``).
- ``GET /v1/send/{id}``: the record (``deliveryState`` 5 until ``set_state``), 111 for an unknown id.
- ``GET /v1/send/live`` and ``/v1/send/archive`` (paged, ``pageSize`` ≤ 100): the records sent.
- ``GET /v1/receive/live`` (paged): what ``text_in`` put in; ``GET /v1/credit``: ``credit``.

``max_batch`` (default 100, sms.ir's own) is the most numbers a bulk or likeToLike call takes (else 105);
``latency`` (seconds, default 0) delays every send's answer; ``taken`` counts every message sent. Like the
real sms.ir it has no local ids and no duplicate protection: the same batch twice is sent twice.

Scripting (thread-safe; the server runs in its own thread): ``fail_next(http_status, status,
times=1)`` answers an error envelope; ``stall_next(seconds)`` takes the request normally and answers late;
``lose_next(seconds)`` takes it, sends nothing, and answers 500 late. ``sent`` holds every record made.
"""

from __future__ import annotations

import asyncio
import re
import threading
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.support.threaded_server import ThreadedServer

DEFAULT_API_KEY = "test-smsir-api-key"
DEFAULT_LINE = "30007732"
FIRST_MESSAGE_ID = 600_000_001
COST_PER_MESSAGE = 1.0

MESSAGES = {
    1: "موفق",
    0: "مشکلی در سامانه رخ داده است",
    10: "کلید وب سرویس نامعتبر است",
    20: "تعداد درخواست بیشتر از حد مجاز است",
    101: "شماره خط نامعتبر میباشد",
    102: "اعتبار کافی نمیباشد",
    103: "درخواست شما دارای متن (های) خالی است",
    104: "درخواست شما دارای موبایل (های) نادرست است",
    105: "تعداد موبایل ها بیشتر از حد مجاز (100 عدد) میباشد",
    107: "لیست موبایل ها خالی میباشد",
    110: "تعداد موبایل ها و متن ها برابر نیست",
    111: "ارسالی با مشخصات وارد شده یافت نشد",
    113: "قالب یافت نشد",
}
_MOBILE = re.compile(r"(?:0|98|\+98)?9\d{9}")


@dataclass(frozen=True)
class _Scripted:
    http_status: int = 200
    status: int | None = None
    stall: float = 0.0
    lose: bool = False


class SmsirServer:
    """The server and its observable state. Start it with ``running_smsir``."""

    def __init__(
        self,
        api_key: str = DEFAULT_API_KEY,
        *,
        lines: set[str] | None = None,
        credit: float = 1_000.0,
        templates: set[int] | None = None,
        max_batch: int = 100,
        latency: float = 0.0,
    ) -> None:
        self.api_key = api_key
        self.max_batch = max_batch
        self.latency = latency
        self.taken = 0
        self.lines = lines if lines is not None else {DEFAULT_LINE}
        self.credit = credit
        self.templates = templates if templates is not None else {100001}
        self.blacklist: set[str] = set()
        self.sent: list[dict[str, Any]] = []
        self.requests: list[tuple[str, str]] = []
        self._inbox: list[dict[str, Any]] = []
        self._script: deque[_Scripted] = deque()
        self._next_id = FIRST_MESSAGE_ID
        self._lock = threading.Lock()
        self.app = Starlette(
            routes=[
                Route("/v1/send/bulk", self._bulk, methods=["POST"]),
                Route("/v1/send/likeToLike", self._like_to_like, methods=["POST"]),
                Route("/v1/send/verify", self._verify, methods=["POST"]),
                Route("/v1/send/live", self._send_list, methods=["GET"]),
                Route("/v1/send/archive", self._send_list, methods=["GET"]),
                Route("/v1/send/{message_id}", self._report, methods=["GET"]),
                Route("/v1/receive/live", self._receive_list, methods=["GET"]),
                Route("/v1/credit", self._credit, methods=["GET"]),
            ]
        )
        self._http = ThreadedServer(self.app, name="sms.ir test server")

    @property
    def base_url(self) -> str:
        return self._http.base_url

    # -- scripting and inspection -------------------------------------------------------------

    def fail_next(self, http_status: int, status: int | None = None, times: int = 1) -> None:
        """Answer the next ``times`` requests with this HTTP status and envelope status (None: no JSON)."""
        with self._lock:
            self._script.extend(_Scripted(http_status=http_status, status=status) for _ in range(times))

    def stall_next(self, seconds: float, times: int = 1) -> None:
        """Take the next ``times`` requests normally but answer each only after ``seconds``."""
        with self._lock:
            self._script.extend(_Scripted(stall=seconds) for _ in range(times))

    def lose_next(self, seconds: float, times: int = 1) -> None:
        """Take the next ``times`` requests, send nothing, and answer 500 after ``seconds``."""
        with self._lock:
            self._script.extend(_Scripted(stall=seconds, lose=True) for _ in range(times))

    def set_state(self, message_id: int | str, state: int, at: int | None = None) -> None:
        """What the operator later says of a message (1 delivered, 2 not delivered, …)."""
        with self._lock:
            for record in self.sent:
                if record["messageId"] == int(message_id):
                    record["deliveryState"] = state
                    record["deliveryDateTime"] = at if at is not None else int(time.time())

    def text_in(self, mobile: str, text: str, line: str = DEFAULT_LINE, at: int | None = None) -> None:
        """A customer texts ``text`` from ``mobile`` (digits as sms.ir shows them) to ``line``."""
        with self._lock:
            self._inbox.append(
                {
                    "messageText": text,
                    "number": int(line),
                    "mobile": int(mobile),
                    "receivedDateTime": at if at is not None else int(time.time()),
                }
            )

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self, timeout: float = 10.0) -> None:
        """Start serving on a free port of 127.0.0.1 in a background thread; return once it listens."""
        self._http.start(timeout)

    def stop(self) -> None:
        """Stop serving and wait for the thread (stalled requests are cut off after a second)."""
        self._http.stop()

    # -- the protocol --------------------------------------------------------------------------

    async def _gate(self, request: Request) -> tuple[_Scripted | None, Response | None]:
        with self._lock:
            self.requests.append((request.method, request.url.path))
            scripted = self._script.popleft() if self._script else None
        if scripted is not None and scripted.lose:
            await asyncio.sleep(scripted.stall)
            return scripted, _envelope(0, http_status=500)
        if scripted is not None and not scripted.stall:
            if scripted.status is None:
                return scripted, Response("<html>gateway error</html>", status_code=scripted.http_status)
            return scripted, _envelope(scripted.status, http_status=scripted.http_status)
        if request.headers.get("x-api-key") != self.api_key:
            return scripted, _envelope(10, http_status=401)
        return scripted, None

    async def _late(self, scripted: _Scripted | None, response: Response) -> Response:
        """The answer, after the latency and any scripted stall (the work is already done: the client
        times out on it)."""
        await asyncio.sleep(self.latency + (scripted.stall if scripted is not None else 0.0))
        return response

    async def _bulk(self, request: Request) -> Response:
        scripted, refusal = await self._gate(request)
        if refusal is not None:
            return refusal
        body = await request.json()
        mobiles = body.get("mobiles") or []
        texts = [body.get("messageText") or ""] * len(mobiles)
        return await self._late(scripted, self._send(body.get("lineNumber"), texts, mobiles))

    async def _like_to_like(self, request: Request) -> Response:
        scripted, refusal = await self._gate(request)
        if refusal is not None:
            return refusal
        body = await request.json()
        texts, mobiles = body.get("messageTexts") or [], body.get("mobiles") or []
        if len(texts) != len(mobiles):
            return _envelope(110)
        return await self._late(scripted, self._send(body.get("lineNumber"), texts, mobiles))

    async def _verify(self, request: Request) -> Response:
        scripted, refusal = await self._gate(request)
        if refusal is not None:
            return refusal
        body = await request.json()
        if body.get("templateId") not in self.templates:
            return _envelope(113)
        mobile = str(body.get("mobile") or "")
        if not _MOBILE.fullmatch(mobile):
            return _envelope(104)
        text = " ".join(f"{p.get('name')}={p.get('value')}" for p in body.get("parameters") or [])
        with self._lock:
            record = self._record(mobile, text, 0)
        return await self._late(
            scripted, _envelope(1, {"messageId": record["messageId"], "cost": COST_PER_MESSAGE})
        )

    def _send(self, line: object, texts: list[str], mobiles: list[str]) -> Response:
        if str(line) not in self.lines:
            return _envelope(101)
        if not mobiles:
            return _envelope(107)
        if len(mobiles) > self.max_batch:
            return _envelope(105)
        if any(not str(text).strip() for text in texts):
            return _envelope(103)
        if not all(_MOBILE.fullmatch(str(mobile)) for mobile in mobiles):
            return _envelope(104)
        ids: list[int] = []
        with self._lock:
            cost = COST_PER_MESSAGE * len(mobiles)
            if self.credit < cost:
                return _envelope(102)
            self.credit -= cost
            for text, mobile in zip(texts, mobiles, strict=True):
                if str(mobile) in self.blacklist:
                    ids.append(0)
                    continue
                ids.append(self._record(str(mobile), text, int(str(line)))["messageId"])
                self.taken += 1
        return _envelope(1, {"packId": str(uuid.uuid4()), "messageIds": ids, "cost": cost})

    def _record(self, mobile: str, text: str, line: int) -> dict[str, Any]:
        record = {
            "messageId": self._next_id,
            "mobile": int(mobile[-10:]),
            "messageText": text,
            "sendDateTime": int(time.time()),
            "lineNumber": line,
            "cost": COST_PER_MESSAGE,
            "deliveryState": 5,
            "deliveryDateTime": None,
        }
        self._next_id += 1
        self.sent.append(record)
        return record

    async def _report(self, request: Request) -> Response:
        _scripted, refusal = await self._gate(request)
        if refusal is not None:
            return refusal
        raw = request.path_params["message_id"]
        with self._lock:
            found = next((dict(r) for r in self.sent if raw.isdigit() and r["messageId"] == int(raw)), None)
        return _envelope(1, found) if found is not None else _envelope(111)

    async def _send_list(self, request: Request) -> Response:
        _scripted, refusal = await self._gate(request)
        if refusal is not None:
            return refusal
        with self._lock:
            return _page(request, [dict(record) for record in self.sent])

    async def _receive_list(self, request: Request) -> Response:
        _scripted, refusal = await self._gate(request)
        if refusal is not None:
            return refusal
        with self._lock:
            return _page(request, [dict(item) for item in self._inbox])

    async def _credit(self, request: Request) -> Response:
        _scripted, refusal = await self._gate(request)
        if refusal is not None:
            return refusal
        return _envelope(1, self.credit)


@asynccontextmanager
async def running_smsir(api_key: str = DEFAULT_API_KEY, **options: Any) -> AsyncIterator[SmsirServer]:
    """Run a local sms.ir for the duration of the block."""
    server = SmsirServer(api_key, **options)
    await asyncio.to_thread(server.start)
    try:
        yield server
    finally:
        await asyncio.to_thread(server.stop)


def _page(request: Request, records: list[dict[str, Any]]) -> Response:
    try:
        size = min(int(request.query_params.get("pageSize", "100")), 100)
        number = max(int(request.query_params.get("pageNumber", "1")), 1)
    except ValueError:
        return _envelope(0, http_status=400)
    return _envelope(1, records[(number - 1) * size : number * size])


def _envelope(status: int, data: Any = None, *, http_status: int | None = None) -> JSONResponse:
    code = http_status if http_status is not None else (200 if status == 1 else 400)
    return JSONResponse(
        {"status": status, "message": MESSAGES.get(status, "خطا"), "data": data}, status_code=code
    )
