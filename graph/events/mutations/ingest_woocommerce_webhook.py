"""ingestWooCommerceWebhook: one WooCommerce webhook delivery, the operation behind
``POST /rest/v1/woocommerce/webhook``."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.scalars import JSON

from domain.events import service as event_service
from domain.events import woocommerce
from domain.events.schema import EventBatchResult, EventRejection
from graph.core.context import Info
from graph.core.errors import errors_as_data
from graph.core.ids import optional_uuid
from graph.core.metrics import count_received_events
from graph.core.permissions import Can
from graph.events.types import IngestError, IngestErrorCode, WooCommerceWebhookPayload
from graph.live import publishing as live


@strawberry.type
class IngestWooCommerceWebhookMutation:
    @strawberry.mutation(
        name="ingestWooCommerceWebhook",
        description=(
            "Receive one WooCommerce webhook delivery (REST API v3 payload): an order becomes an order event "
            "plus one refund event per refund, a customer a customer event; deletions and other topics are "
            "ignored. Events are stored with source `woocommerce_webhook`, so their ids never meet those the "
            "plugin sends, and a repeated delivery of the same content is a duplicate."
        ),
        permission_classes=[Can("events", "write")],
        extensions=errors_as_data(WooCommerceWebhookPayload, IngestError, IngestErrorCode),
    )
    async def ingest_woocommerce_webhook(
        self,
        info: Info,
        topic: Annotated[
            str,
            strawberry.argument(description="The webhook's topic (X-WC-Webhook-Topic), e.g. order.updated."),
        ],
        payload: Annotated[
            JSON,
            strawberry.argument(description="The order or customer as WooCommerce's REST API v3 gives it."),
        ],
        delivery_id: Annotated[
            str | None,
            strawberry.argument(description="WooCommerce's id of this delivery, kept with the events."),
        ] = None,
        webhook_id: Annotated[
            str | None,
            strawberry.argument(description="WooCommerce's id of the webhook, kept with the events."),
        ] = None,
        store_url: Annotated[
            str | None, strawberry.argument(description="The store's address, from X-WC-Webhook-Source.")
        ] = None,
        tenant_id: strawberry.ID | None = None,
    ) -> WooCommerceWebhookPayload:
        scope = info.context.require_tenant(optional_uuid(tenant_id))
        if not woocommerce.is_mapped(topic):
            return WooCommerceWebhookPayload(ignored=True)
        delivery = woocommerce.Delivery(
            topic=topic, delivery_id=delivery_id, webhook_id=webhook_id, store_url=store_url
        )
        try:
            events = woocommerce.events_from_webhook(payload, delivery)
        except woocommerce.UnusablePayload as exc:
            rejection = EventRejection(id=None, reason=str(exc)).as_result()
            unusable = EventBatchResult.from_results([rejection])
            count_received_events(woocommerce.SOURCE, unusable)
            return WooCommerceWebhookPayload.from_result(unusable)
        result = await event_service.store_events(
            tenant_id=scope, source=woocommerce.SOURCE, raw_events=events
        )
        count_received_events(woocommerce.SOURCE, result)
        if result.accepted:
            await info.context.wakeups.events_received(scope)
            await live.events_received(info.context, scope, result)
        return WooCommerceWebhookPayload.from_result(result)
