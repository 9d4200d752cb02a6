"""A local Stripe: a real HTTP server that speaks the Checkout Sessions API, and a signed webhook sender.

Point a ``StripeCheckout`` (or a whole Revisit app, via ``stripe_api_base``) at ``server.base_url``: the
maintained ``stripe`` library under test sends its real requests (form-encoded, ``Authorization: Bearer``,
``Idempotency-Key``) to it. Usage::

    with StripeServer() as stripe_api:
        checkout = StripeCheckout(stripe_api.api_key, webhook_secret=stripe_api.webhook_secret,
                                  api_base=stripe_api.base_url)
        started = await checkout.create_session(...)
        body, signature = stripe_api.complete(started.authority)   # paid, and the signed webhook

What it does, as Stripe does:

- ``POST /v1/checkout/sessions`` with ``mode=payment``, ``line_items[0][price_data][currency|unit_amount|
  product_data][name]``, ``line_items[0][quantity]``, ``success_url``, ``cancel_url``,
  ``client_reference_id``, ``metadata[…]``: a ``checkout.session`` object (``id`` ``cs_test_…``, ``url``,
  ``amount_total``, ``currency``, ``status`` open, ``payment_status`` unpaid, …). A repeated
  ``Idempotency-Key`` answers the first session again. Refusals are Stripe's ``{"error": {"type",
  "code", "message", "param"}}``: 401 for a wrong key, 400 ``parameter_missing`` / ``amount_too_small``
  (below 50 minor units) / ``parameter_invalid_integer``.
- ``GET /v1/checkout/sessions/{id}``: the session as it is now (with ``expand[]=payment_intent.latest_charge``
  a paid session's payment intent and its card charge, Visa ending 4242); 404 ``resource_missing`` for
  another id.

Scripting: :meth:`complete` (the payer paid: ``status`` complete, ``payment_status`` paid, a
``payment_intent``), :meth:`expire`; each returns the webhook body and its ``Stripe-Signature`` header,
signed with ``webhook_secret`` by Stripe's scheme (``t=…,v1=HMAC-SHA256("t.body")``). :func:`sign` signs
any body with any secret and time; ``fail_next(status, times)`` answers the next API calls with a 5xx.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import re
import threading
import time
from collections import deque
from types import TracebackType
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.support.threaded_server import ThreadedServer

DEFAULT_API_KEY = "sk_test_51RevisitLocalServerKey"
DEFAULT_WEBHOOK_SECRET = "whsec_local_revisit_test_secret"
MIN_AMOUNT = 50
_KEY_PART = re.compile(r"\[([^\]]*)\]")


def sign(payload: bytes, secret: str, *, timestamp: int | None = None) -> str:
    """A ``Stripe-Signature`` header for ``payload``: ``t=<timestamp>,v1=<hex HMAC-SHA256>``."""
    moment = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{moment}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={moment},v1={digest}"


def _nested(form: list[tuple[str, str]]) -> dict[str, Any]:
    """Stripe's bracketed form keys (``a[0][b]=1``) as nested dicts (list indexes stay string keys)."""
    root: dict[str, Any] = {}
    for key, value in form:
        head = key.split("[", 1)[0]
        parts = [head, *_KEY_PART.findall(key[len(head) :])]
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return root


class StripeServer:
    """The server and its observable state. Start it with ``with`` (or :meth:`start` / :meth:`stop`)."""

    def __init__(
        self, api_key: str = DEFAULT_API_KEY, *, webhook_secret: str = DEFAULT_WEBHOOK_SECRET
    ) -> None:
        self.api_key = api_key
        self.webhook_secret = webhook_secret
        self.sessions: dict[str, dict[str, Any]] = {}
        self.created: list[dict[str, Any]] = []
        self.retrieved: list[str] = []
        self._by_idempotency: dict[str, str] = {}
        self._script: deque[int] = deque()
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self.app = Starlette(
            routes=[
                Route("/v1/checkout/sessions", self._create, methods=["POST"]),
                Route("/v1/checkout/sessions/{id}", self._retrieve, methods=["GET"]),
            ]
        )
        self._http = ThreadedServer(self.app, name="Stripe test server")

    @property
    def base_url(self) -> str:
        return self._http.base_url

    def start(self) -> StripeServer:
        self._http.start()
        return self

    def stop(self) -> None:
        self._http.stop()

    def __enter__(self) -> StripeServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- scripting ------------------------------------------------------------------------------

    def fail_next(self, status: int = 500, times: int = 1) -> None:
        with self._lock:
            self._script.extend([status] * times)

    def complete(self, session_id: str, *, timestamp: int | None = None) -> tuple[bytes, str]:
        """The payer paid: the session is complete and paid; the signed ``checkout.session.completed``."""
        with self._lock:
            session = self.sessions[session_id]
            session.update(status="complete", payment_status="paid", payment_intent=f"pi_{session_id[8:]}")
        return self.event("checkout.session.completed", session_id, timestamp=timestamp)

    def expire(self, session_id: str) -> tuple[bytes, str]:
        """The session expired unpaid; the signed ``checkout.session.expired``."""
        with self._lock:
            self.sessions[session_id].update(status="expired")
        return self.event("checkout.session.expired", session_id)

    def event(self, kind: str, session_id: str, *, timestamp: int | None = None) -> tuple[bytes, str]:
        """A webhook body of event ``kind`` carrying the session as it is now, and its signature."""
        with self._lock:
            number = next(self._ids)
            body = {
                "id": f"evt_test_{number:024d}",
                "object": "event",
                "api_version": "2025-10-29.clover",
                "created": int(time.time()),
                "livemode": False,
                "type": kind,
                "data": {"object": dict(self.sessions[session_id])},
            }
        payload = json.dumps(body).encode()
        return payload, sign(payload, self.webhook_secret, timestamp=timestamp)

    # -- the protocol ---------------------------------------------------------------------------

    def _refusal(self, request: Request) -> Response | None:
        with self._lock:
            scripted = self._script.popleft() if self._script else None
        if scripted is not None:
            return _error(scripted, "api_error", None, "An error occurred with our connection to Stripe.")
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            return _error(401, "invalid_request_error", None, "Invalid API Key provided.")
        return None

    async def _create(self, request: Request) -> Response:
        refusal = self._refusal(request)
        if refusal is not None:
            return refusal
        form = _nested(list((await request.form()).multi_items()))  # type: ignore[arg-type]
        key = request.headers.get("idempotency-key")
        with self._lock:
            if key and key in self._by_idempotency:
                return JSONResponse(self.sessions[self._by_idempotency[key]])
        line = ((form.get("line_items") or {}).get("0")) or {}
        price = line.get("price_data") or {}
        for name, value in (
            ("mode", form.get("mode")),
            ("success_url", form.get("success_url")),
            ("line_items[0][price_data][currency]", price.get("currency")),
            ("line_items[0][price_data][unit_amount]", price.get("unit_amount")),
        ):
            if not value:
                return _error(400, "invalid_request_error", "parameter_missing", f"Missing {name}.", name)
        if form["mode"] != "payment":
            return _error(
                400, "invalid_request_error", "parameter_invalid", "This test server only does payment."
            )
        if not str(price["unit_amount"]).isdigit():
            return _error(
                400,
                "invalid_request_error",
                "parameter_invalid_integer",
                "Invalid integer.",
                "line_items[0][price_data][unit_amount]",
            )
        amount = int(price["unit_amount"]) * int(line.get("quantity") or 1)
        if amount < MIN_AMOUNT:
            return _error(400, "invalid_request_error", "amount_too_small", "Amount must be at least 50.")
        with self._lock:
            session_id = f"cs_test_{next(self._ids):056d}"
            session = {
                "id": session_id,
                "object": "checkout.session",
                "amount_total": amount,
                "currency": price["currency"],
                "client_reference_id": form.get("client_reference_id"),
                "metadata": form.get("metadata") or {},
                "mode": "payment",
                "payment_intent": None,
                "payment_status": "unpaid",
                "status": "open",
                "success_url": form["success_url"],
                "cancel_url": form.get("cancel_url"),
                "url": f"{self.base_url}/c/pay/{session_id}",
                "created": int(time.time()),
                "expires_at": int(time.time()) + 86_400,
                "livemode": False,
            }
            self.sessions[session_id] = session
            self.created.append(form)
            if key:
                self._by_idempotency[key] = session_id
        return JSONResponse(session)

    async def _retrieve(self, request: Request) -> Response:
        refusal = self._refusal(request)
        if refusal is not None:
            return refusal
        session_id = request.path_params["id"]
        expand = {value for key, value in request.query_params.multi_items() if key.startswith("expand")}
        with self._lock:
            self.retrieved.append(session_id)
            session = self.sessions.get(session_id)
        if session is None:
            return _error(
                404, "invalid_request_error", "resource_missing", f"No such checkout.session: '{session_id}'"
            )
        intent = session.get("payment_intent")
        if intent and "payment_intent.latest_charge" in expand:
            session = {**session, "payment_intent": _payment_intent(intent)}
        return JSONResponse(session)


def _payment_intent(intent_id: str) -> dict[str, Any]:
    """A paid payment intent with its latest charge expanded: a Visa card ending in 4242."""
    return {
        "id": intent_id,
        "object": "payment_intent",
        "status": "succeeded",
        "latest_charge": {
            "id": f"ch_{intent_id[3:]}",
            "object": "charge",
            "paid": True,
            "payment_method_details": {"type": "card", "card": {"brand": "visa", "last4": "4242"}},
        },
    }


def _error(status: int, kind: str, code: str | None, message: str, param: str | None = None) -> JSONResponse:
    error: dict[str, Any] = {"type": kind, "message": message}
    if code:
        error["code"] = code
    if param:
        error["param"] = param
    return JSONResponse({"error": error}, status_code=status)
