"""createWebhookSecret: the secret WooCommerce signs webhooks with, for stores that connect through
WooCommerce's own webhooks instead of the plugin."""

from __future__ import annotations

import strawberry
from tortoise.transactions import in_transaction

from domain.tenancy import webhooks
from graph.core.context import Info
from graph.core.errors import errors_as_data
from graph.core.ids import optional_uuid, to_uuid
from graph.core.permissions import Can
from graph.rest.woocommerce import WEBHOOK_PATH
from graph.tenancy.types import StoreKey, StoreKeyError, StoreKeyErrorCode


@strawberry.type(description="A store key's new webhook secret, and where WooCommerce should deliver.")
class WebhookSecretPayload:
    store_key: StoreKey | None = None
    secret: str | None = strawberry.field(
        default=None,
        description="The secret to paste into the WooCommerce webhook's Secret field. Shown this once only.",
    )
    delivery_path: str | None = strawberry.field(
        default=None,
        description=(
            "The path to append to Revisit's address for the webhook's Delivery URL: "
            "/rest/v1/woocommerce/webhook?key=<the key's prefix>."
        ),
    )
    errors: list[StoreKeyError] = strawberry.field(default_factory=list)


@strawberry.type
class CreateWebhookSecretMutation:
    @strawberry.mutation(
        description=(
            "Make the secret WooCommerce signs its webhooks with, for one live store key. Making another "
            "replaces it: deliveries signed with the old one are refused from then on. Revoking or rotating "
            "the key retires its secret too."
        ),
        permission_classes=[Can("store_keys", "write")],
        extensions=errors_as_data(WebhookSecretPayload, StoreKeyError, StoreKeyErrorCode),
    )
    async def create_webhook_secret(
        self, info: Info, store_key_id: strawberry.ID, tenant_id: strawberry.ID | None = None
    ) -> WebhookSecretPayload:
        scope = info.context.require_tenant(optional_uuid(tenant_id))
        key_id = to_uuid(store_key_id, what="Store key", field="storeKeyId")
        sealing_key = webhooks.encryption_key(info.context.settings.resolved_secret_key())
        async with in_transaction():
            key, secret = await webhooks.create_webhook_secret(
                tenant_id=scope, key_id=key_id, encryption_key=sealing_key
            )
        return WebhookSecretPayload(
            store_key=StoreKey.from_model(key),
            secret=secret,
            delivery_path=f"{WEBHOOK_PATH}?key={key.public_id}",
        )
