"""``POST /rest/v1/woocommerce/webhook``: WooCommerce's own webhooks, for stores that run no plugin.

The delivery URL names the store key (``?key=<public id>``); the body is authenticated by WooCommerce's
signature, ``X-WC-Webhook-Signature`` = base64(HMAC-SHA256(raw body, webhook secret)), checked against the
secret Revisit made for that key (``createWebhookSecret``). The route then runs one fixed GraphQL
mutation, ``ingestWooCommerceWebhook``, as that store key, like every other REST route.

Every delivery that is authentic is answered 200, even when its event is rejected: WooCommerce counts any
other status as a failure, never retries, and disables the webhook after a few failures in a row. The
body says what happened. When a webhook is saved WooCommerce first sends a ping, a form body
``webhook_id=<n>`` without a topic; it is answered 200 (once its signature, if any, checks out).
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any, Final

import structlog
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from strawberry import Schema

from domain.tenancy import webhooks
from domain.tenancy.models import StoreKey
from domain.tenancy.security import looks_like_public_id
from domain.text import identifier_problem
from graph.rest.http import execute, parse_json, problem, read_body
from graph.view import build_context
from permissions.principal import Principal

WEBHOOK_PATH: Final = "/rest/v1/woocommerce/webhook"
SIGNATURE_HEADER: Final = "X-WC-Webhook-Signature"
TOPIC_HEADER: Final = "X-WC-Webhook-Topic"
DELIVERY_ID_HEADER: Final = "X-WC-Webhook-Delivery-ID"
WEBHOOK_ID_HEADER: Final = "X-WC-Webhook-ID"
SOURCE_HEADER: Final = "X-WC-Webhook-Source"

INGEST_WEBHOOK = """
mutation WooCommerceWebhook(
  $topic: String!, $payload: JSON!, $deliveryId: String, $webhookId: String, $storeUrl: String
) {
  ingestWooCommerceWebhook(
    topic: $topic, payload: $payload, deliveryId: $deliveryId, webhookId: $webhookId, storeUrl: $storeUrl
  ) {
    accepted duplicates rejected ignored
    results { id status reason }
    errors { code field message }
  }
}
"""

_PING_BODY = re.compile(rb"webhook_id=\d+")


def woocommerce_routes(schema: Schema) -> list[BaseRoute]:
    """The webhook route, running its document against ``schema``."""

    async def run_as_key(
        key: StoreKey, variables: dict[str, Any], request: Request
    ) -> tuple[Any, Response | None]:
        """Execute the fixed mutation as ``key`` (the signature stood in for its bearer token)."""
        tenant = str(key.tenant_id)  # type: ignore[attr-defined]
        principal = Principal(kind="store_key", id=key.id, roles={tenant: frozenset({"store"})})
        context = replace(await build_context(request), principal=principal, tenant_id=key.tenant_id)  # type: ignore[attr-defined]
        structlog.contextvars.bind_contextvars(principal=principal.subject, tenant_id=tenant)
        return await execute(
            schema, INGEST_WEBHOOK, variables, context, forbidden="This key may not send events."
        )

    async def receive_webhook(request: Request) -> Response:
        """Receive one WooCommerce webhook delivery (see the OpenAPI description)."""
        body, failure = await read_body(request)
        if failure:
            return failure
        public_id = request.query_params.get("key", "").strip()
        problem_with_key = identifier_problem(public_id)
        if problem_with_key:
            return problem(400, "INVALID", f"key: {problem_with_key}.", field="key")
        sealing_key = webhooks.encryption_key(request.app.state.settings.resolved_secret_key())
        sender = (
            await webhooks.find_sender(public_id=public_id, encryption_key=sealing_key)
            if looks_like_public_id(public_id)
            else None
        )
        if sender is None:
            return problem(
                401,
                "UNAUTHENTICATED",
                "Unknown or revoked store key, or the key has no webhook secret: check ?key= in the "
                "delivery URL.",
            )
        signature = request.headers.get(SIGNATURE_HEADER)
        if signature is not None and not webhooks.signature_matches(body, signature, sender.secret):
            return problem(
                401, "INVALID_SIGNATURE", "The signature does not match this key's webhook secret."
            )
        topic = request.headers.get(TOPIC_HEADER, "").strip()
        if not topic and _PING_BODY.fullmatch(body.strip()):
            return JSONResponse({"ping": "ok"})
        if signature is None:
            return problem(401, "INVALID_SIGNATURE", f"Sign the body: send {SIGNATURE_HEADER}.")
        if not topic:
            return problem(400, "MISSING_TOPIC", f"Say what happened: send {TOPIC_HEADER}.")
        payload, failure = parse_json(body)
        if failure:
            return failure
        await webhooks.mark_used(key=sender.key)
        variables = {
            "topic": topic,
            # JSON! cannot carry null; a null body is then refused like any other body that is no object.
            "payload": [] if payload is None else payload,
            "deliveryId": request.headers.get(DELIVERY_ID_HEADER),
            "webhookId": request.headers.get(WEBHOOK_ID_HEADER),
            "storeUrl": request.headers.get(SOURCE_HEADER),
        }
        data, failure = await run_as_key(sender.key, variables, request)
        if failure:
            return failure
        answer = data["ingestWooCommerceWebhook"]
        if answer["errors"]:
            error = answer["errors"][0]
            return problem(422, error["code"], error["message"], field=error.get("field"))
        del answer["errors"]
        return JSONResponse(answer)

    return [Route(WEBHOOK_PATH, receive_webhook, methods=["POST"])]
