"""The OpenAPI description of ``POST /rest/v1/woocommerce/webhook`` (:mod:`graph.rest.woocommerce`)."""

from __future__ import annotations

from typing import Any, Final

from graph.rest.woocommerce import (
    DELIVERY_ID_HEADER,
    SIGNATURE_HEADER,
    SOURCE_HEADER,
    TOPIC_HEADER,
    WEBHOOK_ID_HEADER,
    WEBHOOK_PATH,
)


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def _header(name: str, description: str, *, required: bool = False) -> dict[str, Any]:
    return {
        "name": name,
        "in": "header",
        "required": required,
        "description": description,
        "schema": {"type": "string"},
    }


WOOCOMMERCE_OPENAPI_PATHS: Final[dict[str, Any]] = {
    WEBHOOK_PATH: {
        "post": {
            "operationId": "receiveWooCommerceWebhook",
            "summary": "Receive a WooCommerce webhook",
            "description": (
                "For stores that connect without the plugin: set this as the Delivery URL of WooCommerce "
                "webhooks (WooCommerce › Settings › Advanced › Webhooks, API version WP REST API Integration "
                "v3) with the secret made by `createWebhookSecret`. Topics `order.created`, `order.updated`, "
                "`order.restored`, `customer.created` and `customer.updated` become events (an order's "
                "refunds each become an `order.refunded` event); other topics, deletions included, are "
                "answered 200 and ignored. An authentic delivery is always answered 200, even when its event "
                "is rejected (the body says why), because WooCommerce never retries a delivery and disables "
                "a webhook that keeps failing. A repeated delivery of the same content is a duplicate. "
                "WooCommerce's ping (form body `webhook_id=<n>`, sent when a webhook is saved) is answered "
                "200 once the key is known."
            ),
            "security": [],
            "parameters": [
                {
                    "name": "key",
                    "in": "query",
                    "required": True,
                    "description": "The public id of the store key (its prefix: rvk_<prefix>_…).",
                    "schema": {"type": "string"},
                },
                _header(
                    SIGNATURE_HEADER,
                    "base64(HMAC-SHA256(raw body, webhook secret)). Required except on the ping.",
                ),
                _header(
                    TOPIC_HEADER, "The webhook's topic, e.g. `order.updated`. Required except on the ping."
                ),
                _header(
                    DELIVERY_ID_HEADER, "WooCommerce's id of this delivery; kept with the stored events."
                ),
                _header(WEBHOOK_ID_HEADER, "WooCommerce's id of the webhook; kept with the stored events."),
                _header(SOURCE_HEADER, "The store's address; kept with the stored events."),
            ],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "description": (
                                "The order or customer exactly as WooCommerce's REST API v3 returns it."
                            ),
                        }
                    },
                    "application/x-www-form-urlencoded": {
                        "schema": {
                            "type": "object",
                            "description": "WooCommerce's ping.",
                            "properties": {"webhook_id": {"type": "string"}},
                        }
                    },
                },
            },
            "responses": {
                "200": {
                    "description": "Received, ignored or a ping; see the counts and each event's result.",
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "accepted": {"type": "integer"},
                                    "duplicates": {"type": "integer"},
                                    "rejected": {"type": "integer"},
                                    "ignored": {
                                        "type": "boolean",
                                        "description": "The topic carries nothing Revisit uses.",
                                    },
                                    "results": {
                                        "type": "array",
                                        "items": {"$ref": "#/components/schemas/EventResult"},
                                    },
                                    "ping": {"type": "string", "description": "`ok`, on a ping only."},
                                },
                            }
                        }
                    },
                },
                "400": _error(
                    "The body is not strict JSON (`INVALID_JSON`) or nests more than 64 levels (`TOO_DEEP`), "
                    "there is no topic (`MISSING_TOPIC`), or `key` holds control characters (`INVALID`)."
                ),
                "401": _error(
                    "Unknown or revoked key, or one shaped like no key (`UNAUTHENTICATED`); no webhook "
                    "secret; a missing or wrong signature (`INVALID_SIGNATURE`)."
                ),
                "403": _error("The key may not send events (`FORBIDDEN`)."),
                "413": _error("A body over 5 MiB (`TOO_LARGE`)."),
                "422": _error("A header value the server cannot take (`INVALID`, naming it)."),
            },
        }
    }
}
