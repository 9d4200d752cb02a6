"""The SMS providers' callbacks: Kavenegar posts delivery reports and inbound SMS here.

Each URL names its route and carries a key only Revisit can make, so nobody else can post reports or
opt-outs: ``/rest/v1/sms/kavenegar/{scope}/{key}/delivery`` and ``…/inbound``, where ``scope`` is
``platform`` (the platform's line) or a store account's id, and ``key`` is
:func:`domain.messaging.accounts.callback_key` under ``REVISIT_SMS_CALLBACK_SECRET`` (or the secret key).
GraphQL shows a store its URLs on ``smsAccount.callbacks`` and a platform admin the platform's on
``platformSmsCallbacks`` (docs/sms-providers.md).

Kavenegar calls with a form body or a query string, GET or POST:

- delivery: ``messageid`` and ``status`` (its entry status: 10 delivered, 11 not delivered, 6 failed, …).
  Only final statuses are recorded; others are answered 200 and ignored.
- inbound: ``messageid``, ``from`` (the sender), ``to`` (our line) and ``message``.

An authentic call is answered 200 (``{"recorded": n}``), a repeated one too: a provider that hears errors
calls again. A wrong key, or an unknown or cleared account, is 401 — the same answer for both, so account
ids cannot be probed. A body over 16 KiB is 413; fields past their limits are 422.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Final
from urllib.parse import parse_qsl
from uuid import UUID

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from domain.messaging import inbound, reports
from domain.messaging.accounts import callback_key_matches
from domain.messaging.kavenegar import final_status
from domain.messaging.models import SmsAccount
from domain.messaging.providers import DeliveryReport, Inbound
from graph.core.inputs import read_capped
from graph.rest.http import problem

CALLBACK_PREFIX: Final = "/rest/v1/sms/kavenegar"
DELIVERY_PATH: Final = CALLBACK_PREFIX + "/{scope}/{key}/delivery"
INBOUND_PATH: Final = CALLBACK_PREFIX + "/{scope}/{key}/inbound"
MAX_BODY: Final = 16 * 1024
MAX_ID: Final = 64
MAX_PHONE: Final = 32
MAX_MESSAGE: Final = inbound.MAX_BODY
PLATFORM: Final = "platform"


def callback_paths(*, scope: str, key: str) -> tuple[str, str]:
    """The delivery and inbound paths of one route, to append to Revisit's address."""
    return (
        DELIVERY_PATH.format(scope=scope, key=key),
        INBOUND_PATH.format(scope=scope, key=key),
    )


def callback_secret(request: Request) -> str:
    settings = request.app.state.settings
    return settings.sms_callback_secret or settings.resolved_secret_key()


async def _route(request: Request) -> tuple[UUID | None, UUID | None] | Response:
    """(account id, its store) of an authentic call — both None for the platform's line — or the 401."""
    scope, key = request.path_params["scope"], request.path_params["key"]
    refused = problem(401, "UNAUTHENTICATED", "This callback URL is not one Revisit made.")
    if len(key) > MAX_ID or not callback_key_matches(secret=callback_secret(request), scope=scope, key=key):
        return refused
    if scope == PLATFORM:
        return None, None
    try:
        account_id = UUID(scope)
    except ValueError:
        return refused
    account = await SmsAccount.get_or_none(id=account_id, provider="kavenegar")
    if account is None:
        return refused
    return account.id, account.tenant_id  # type: ignore[attr-defined]


async def _fields(request: Request) -> dict[str, str] | Response:
    body = await read_capped(request, limit=MAX_BODY)
    if body is None:
        return problem(413, "TOO_LARGE", f"The body may be at most {MAX_BODY} bytes.")
    fields = dict(request.query_params)
    try:
        fields.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    except UnicodeDecodeError:
        return problem(422, "INVALID", "The body must be UTF-8 form fields.")
    return {name.lower(): value for name, value in fields.items()}


def _too_long(fields: dict[str, str], limits: dict[str, int]) -> Response | None:
    for name, limit in limits.items():
        if len(fields.get(name, "")) > limit:
            return problem(422, "INVALID", f"{name} may be at most {limit} characters.", field=name)
    return None


async def receive_delivery(request: Request) -> Response:
    """A Kavenegar delivery report for one message."""
    route = await _route(request)
    if isinstance(route, Response):
        return route
    fields = await _fields(request)
    if isinstance(fields, Response):
        return fields
    if (refusal := _too_long(fields, {"messageid": MAX_ID, "status": 8})) is not None:
        return refusal
    message_id = fields.get("messageid", "").strip()
    if not message_id.isdigit():
        return problem(422, "INVALID", "messageid must be Kavenegar's message id.", field="messageid")
    status = final_status(fields.get("status", ""))
    if status is None:
        return JSONResponse({"recorded": 0})
    account_id, tenant_id = route
    recorded = await reports.record(
        [DeliveryReport(message_id, status, datetime.now(UTC))],
        provider="kavenegar",
        account_id=account_id,
        tenant_id=tenant_id,
    )
    return JSONResponse({"recorded": recorded})


async def receive_inbound(request: Request) -> Response:
    """An SMS a customer sent to a Kavenegar line."""
    route = await _route(request)
    if isinstance(route, Response):
        return route
    fields = await _fields(request)
    if isinstance(fields, Response):
        return fields
    limits = {"messageid": MAX_ID, "from": MAX_PHONE, "to": MAX_PHONE, "message": MAX_MESSAGE}
    if (refusal := _too_long(fields, limits)) is not None:
        return refusal
    message_id, sender = fields.get("messageid", "").strip(), fields.get("from", "").strip()
    if not message_id or not sender:
        return problem(
            422,
            "INVALID",
            "messageid and from are required.",
            field="messageid" if not message_id else "from",
        )
    account_id, tenant_id = route
    now = datetime.now(UTC)
    stored = await inbound.receive(
        provider="kavenegar",
        account_id=account_id,
        tenant_id=tenant_id,
        messages=[
            Inbound(
                provider_message_id=message_id,
                sender=sender,
                line=fields.get("to", "").strip(),
                body=fields.get("message", ""),
                received_at=now,
            )
        ],
        source="callback",
        now=now,
    )
    return JSONResponse({"recorded": len(stored)})


def sms_callback_routes() -> list[BaseRoute]:
    return [
        Route(DELIVERY_PATH, receive_delivery, methods=["GET", "POST"]),
        Route(INBOUND_PATH, receive_inbound, methods=["GET", "POST"]),
    ]
