"""A local Zarinpal: a real HTTP server that speaks Zarinpal's REST API v4 and its StartPay page.

Point a ``ZarinpalGateway`` (or a whole Revisit app, via ``zarinpal_base_url``) at ``server.base_url``: the
real adapter talks JSON over real HTTP to it. Usage::

    with ZarinpalServer() as zarinpal:
        gateway = ZarinpalGateway(zarinpal.merchant_id, base_url=zarinpal.base_url)
        started = await gateway.request_payment(amount=500_000, ...)
        callback = zarinpal.pay(started.authority)      # the URL the payer's browser is sent back to

What it does, as the real API does:

- ``POST /pg/v4/payment/request.json`` (``merchant_id``, ``amount``, ``currency`` IRR or IRT, ``description``,
  ``callback_url``, ``metadata``): ``{"data": {"code": 100, "message": "Success", "authority": "A000…",
  "fee_type": "Merchant", "fee": …}, "errors": []}``. Refusals: -9 (HTTP 422) for a merchant id that is not
  36 characters, a missing or non-http callback URL, a missing or longer than 500 characters description,
  an amount that is not an integer or is below 10,000 IRR (1,000 IRT) or above 1,000,000,000 IRR
  (100,000,000 IRT), a currency other than IRR or IRT; -10 (HTTP 401) for a merchant it does not know; -11
  for a merchant marked inactive (``inactive``).
- ``GET /pg/StartPay/{authority}``: the payer's page (HTML, two links); ``?pay=OK`` (or ``?pay=NOK``) pays
  (or gives up) and answers 302 to ``callback_url`` with ``Authority`` and ``Status`` added, as Zarinpal
  sends the browser back. :meth:`pay` and :meth:`give_up` do the same from a test and return that URL.
- ``POST /pg/v4/payment/verify.json`` (``merchant_id``, ``amount``, ``authority``): 100 with ``ref_id``,
  ``card_pan``, ``card_hash``, ``fee_type``, ``fee`` the first time a paid authority is verified, 101 with the
  same data every time after; -54 for an authority it never issued, -53 for another merchant's, -51 for
  one not paid (never paid, or given up), -50 when the amount is not the requested one. Errors are
  ``{"data": [], "errors": {"code", "message", "validations"}}`` with a 4xx status.

What tests can look at and script (thread-safe; the server runs in its own thread and loop):

- ``requests``, ``verifications``: the JSON bodies received, in order; ``payments``: per authority.
- ``fail_next(code, times=1, method="verify")``: the next ``times`` calls of ``method`` (``request`` or
  ``verify``) answer that Zarinpal error code (or, with ``code=500``, a bare HTML 500 page).
- ``stall_next(seconds, times=1, method="verify")``: answer those calls normally, ``seconds`` late.
"""

from __future__ import annotations

import asyncio
import hashlib
import html
import itertools
import threading
from collections import deque
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any
from urllib.parse import urlencode, urlsplit

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from tests.support.threaded_server import ThreadedServer

DEFAULT_MERCHANT = "1344b5d4-0048-11e8-94db-005056a205be"
CARD_PAN = "502229******5995"
MIN_AMOUNT = {"IRR": 10_000, "IRT": 1_000}
MAX_AMOUNT = {"IRR": 1_000_000_000, "IRT": 100_000_000}

MESSAGES: dict[int, str] = {
    100: "Success",
    101: "Verified",
    -9: "The input params invalid, validation error.",
    -10: "Terminal is not valid, please check merchant_id or ip address.",
    -11: "Terminal is not active, please contact our support team.",
    -12: "To many attempts, please try again later.",
    -13: "terminal limit reached.",
    -14: "The callback URL domain does not match the registered terminal domain.",
    -15: "Terminal user is suspend : (please contact our support team).",
    -16: "Terminal user level is not valid : ( please contact our support team).",
    -17: "Terminal user level is not valid : ( please contact our support team).",
    -50: "Session is not valid, amounts values is not the same.",
    -51: "Session is not valid, session is not active paid try.",
    -52: "Oops!!, please contact our support team",
    -53: "Session is not this merchant_id session",
    -54: "Invalid authority.",
    -55: "Manual payment request not found.",
}
_STATUS = {-9: 422, -10: 401, -11: 401, -12: 429, -50: 422, -51: 422, -53: 422, -54: 404}


@dataclass
class Payment:
    """One authority the server issued and what became of it."""

    authority: str
    merchant_id: str
    amount: int
    currency: str
    callback_url: str
    description: str
    metadata: dict[str, Any]
    state: str = "opened"  # opened, paid, given_up, verified
    ref_id: int | None = None
    verifications: int = 0


@dataclass(frozen=True)
class _Scripted:
    code: int | None = None
    stall: float = 0.0


@dataclass
class _Script:
    request: deque[_Scripted] = field(default_factory=deque)
    verify: deque[_Scripted] = field(default_factory=deque)


class ZarinpalServer:
    """The server and its observable state. Start it with ``with`` (or :meth:`start` / :meth:`stop`)."""

    def __init__(self, merchant_id: str = DEFAULT_MERCHANT, *, sandbox: bool = False) -> None:
        self.merchant_id = merchant_id
        self.merchants = {merchant_id}
        self.inactive: set[str] = set()
        self.prefix = "S" if sandbox else "A"
        self.requests: list[dict[str, Any]] = []
        self.verifications: list[dict[str, Any]] = []
        self.payments: dict[str, Payment] = {}
        self._script = _Script()
        self._authorities = itertools.count(217_885_159)
        self._ref_ids = itertools.count(201)
        self._lock = threading.Lock()
        self.app = Starlette(
            routes=[
                Route("/pg/v4/payment/request.json", self._request, methods=["POST"]),
                Route("/pg/v4/payment/verify.json", self._verify, methods=["POST"]),
                Route("/pg/StartPay/{authority}", self._start_pay, methods=["GET"]),
            ]
        )
        self._http = ThreadedServer(self.app, name="Zarinpal test server")

    # -- lifecycle ------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return self._http.base_url

    def start(self) -> ZarinpalServer:
        self._http.start()
        return self

    def stop(self) -> None:
        self._http.stop()

    def __enter__(self) -> ZarinpalServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- scripting and inspection -------------------------------------------------------------

    def fail_next(self, code: int, times: int = 1, *, method: str = "verify") -> None:
        """Answer the next ``times`` calls of ``method`` with Zarinpal's error ``code`` (500: HTML)."""
        with self._lock:
            getattr(self._script, method).extend(_Scripted(code=code) for _ in range(times))

    def stall_next(self, seconds: float, times: int = 1, *, method: str = "verify") -> None:
        """Answer the next ``times`` calls of ``method`` normally but ``seconds`` late."""
        with self._lock:
            getattr(self._script, method).extend(_Scripted(stall=seconds) for _ in range(times))

    def pay(self, authority: str) -> str:
        """The payer pays: the callback URL Zarinpal sends the browser to (``Status=OK``)."""
        return self._settle(authority, paid=True)

    def give_up(self, authority: str) -> str:
        """The payer gives up (or the card is declined): the callback URL with ``Status=NOK``."""
        return self._settle(authority, paid=False)

    def verified_count(self, authority: str) -> int:
        """How many verify calls this authority answered 100 or 101."""
        with self._lock:
            return self.payments[authority].verifications

    # -- the protocol ---------------------------------------------------------------------------

    def _settle(self, authority: str, *, paid: bool) -> str:
        with self._lock:
            payment = self.payments[authority]
            if payment.state == "opened":
                payment.state = "paid" if paid else "given_up"
            query = urlencode({"Authority": authority, "Status": "OK" if paid else "NOK"})
            separator = "&" if urlsplit(payment.callback_url).query else "?"
            return f"{payment.callback_url}{separator}{query}"

    def _scripted(self, method: str) -> _Scripted | None:
        with self._lock:
            queue: deque[_Scripted] = getattr(self._script, method)
            return queue.popleft() if queue else None

    async def _body(self, request: Request) -> dict[str, Any] | None:
        try:
            body = await request.json()
        except ValueError:
            return None
        return body if isinstance(body, dict) else None

    async def _request(self, request: Request) -> Response:
        scripted = self._scripted("request")
        body = await self._body(request)
        with self._lock:
            self.requests.append(body or {})
        if scripted is not None:
            answer = await self._scripted_answer(scripted)
            if answer is not None:
                return answer
        if body is None:
            return _error(-9, {"body": "The body must be a JSON object."})
        problems = _request_problems(body)
        if problems:
            return _error(-9, problems)
        merchant = body["merchant_id"]
        if merchant not in self.merchants:
            return _error(-10)
        if merchant in self.inactive:
            return _error(-11)
        with self._lock:
            authority = f"{self.prefix}{next(self._authorities):035d}"
            self.payments[authority] = Payment(
                authority=authority,
                merchant_id=merchant,
                amount=body["amount"],
                currency=body.get("currency") or "IRR",
                callback_url=body["callback_url"],
                description=body["description"],
                metadata=body.get("metadata") or {},
            )
        data = {
            "code": 100,
            "message": MESSAGES[100],
            "authority": authority,
            "fee_type": "Merchant",
            "fee": 0,
        }
        return JSONResponse({"data": data, "errors": []})

    async def _verify(self, request: Request) -> Response:
        scripted = self._scripted("verify")
        body = await self._body(request)
        with self._lock:
            self.verifications.append(body or {})
        if scripted is not None:
            answer = await self._scripted_answer(scripted)
            if answer is not None:
                return answer
        if body is None:
            return _error(-9, {"body": "The body must be a JSON object."})
        merchant, authority, amount = body.get("merchant_id"), body.get("authority"), body.get("amount")
        if not isinstance(merchant, str) or len(merchant) != 36:
            return _error(-9, {"merchant_id": "The merchant id must be 36 characters."})
        if not isinstance(authority, str) or not authority:
            return _error(-9, {"authority": "The authority field is required."})
        if not isinstance(amount, int) or isinstance(amount, bool):
            return _error(-9, {"amount": "The amount must be an integer."})
        if merchant not in self.merchants:
            return _error(-10)
        with self._lock:
            payment = self.payments.get(authority)
            if payment is None:
                return _error(-54)
            if payment.merchant_id != merchant:
                return _error(-53)
            if payment.state not in ("paid", "verified"):
                return _error(-51)
            if amount != payment.amount:
                return _error(-50)
            code = 100 if payment.state == "paid" else 101
            if payment.ref_id is None:
                payment.ref_id = next(self._ref_ids)
            payment.state = "verified"
            payment.verifications += 1
            data = {
                "code": code,
                "message": MESSAGES[code],
                "card_hash": hashlib.sha256(f"card:{authority}".encode()).hexdigest().upper(),
                "card_pan": CARD_PAN,
                "ref_id": payment.ref_id,
                "fee_type": "Merchant",
                "fee": 0,
            }
        return JSONResponse({"data": data, "errors": []})

    async def _start_pay(self, request: Request) -> Response:
        authority = request.path_params["authority"]
        if authority not in self.payments:
            return HTMLResponse("<h1>تراکنش یافت نشد</h1>", status_code=404)
        outcome = request.query_params.get("pay")
        if outcome in ("OK", "NOK"):
            return RedirectResponse(self._settle(authority, paid=outcome == "OK"), status_code=302)
        payment = self.payments[authority]
        safe = html.escape(authority)
        page = (
            f"<!doctype html><meta charset=utf-8><title>زرین‌پال</title><p>{payment.amount:,} ریال</p>"
            f'<a href="?pay=OK">پرداخت</a> <a href="?pay=NOK">انصراف</a> <small>{safe}</small>'
        )
        return HTMLResponse(page)

    async def _scripted_answer(self, scripted: _Scripted) -> Response | None:
        if scripted.stall:
            await asyncio.sleep(scripted.stall)
            return None
        if scripted.code == 500:
            return HTMLResponse("<html><body>502 Bad Gateway</body></html>", status_code=500)
        return _error(scripted.code or -52)


def _request_problems(body: dict[str, Any]) -> dict[str, str]:
    problems: dict[str, str] = {}
    merchant, amount = body.get("merchant_id"), body.get("amount")
    currency = body.get("currency") or "IRR"
    if not isinstance(merchant, str) or len(merchant) != 36:
        problems["merchant_id"] = "The merchant id must be 36 characters."
    callback = body.get("callback_url")
    if not isinstance(callback, str) or urlsplit(callback).scheme not in ("http", "https"):
        problems["callback_url"] = "The callback url field is required."
    description = body.get("description")
    if not isinstance(description, str) or not description.strip() or len(description) > 500:
        problems["description"] = "The description must be 1 to 500 characters."
    if currency not in MIN_AMOUNT:
        problems["currency"] = "The currency must be IRR or IRT."
    elif not isinstance(amount, int) or isinstance(amount, bool):
        problems["amount"] = "The amount must be an integer."
    elif not MIN_AMOUNT[currency] <= amount <= MAX_AMOUNT[currency]:
        problems["amount"] = f"The amount must be between {MIN_AMOUNT[currency]} and {MAX_AMOUNT[currency]}."
    return problems


def _error(code: int, validations: dict[str, str] | None = None) -> JSONResponse:
    errors = {
        "code": code,
        "message": MESSAGES.get(code, "Error"),
        "validations": [{name: text} for name, text in (validations or {}).items()],
    }
    return JSONResponse({"data": [], "errors": errors}, status_code=_STATUS.get(code, 400))
