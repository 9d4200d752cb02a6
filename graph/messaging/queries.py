"""Messaging queries: the SMS the store's automations and campaigns queued and sent."""

from __future__ import annotations

import strawberry

from domain.messaging import service as messaging
from graph.core.context import Info
from graph.core.ids import optional_uuid
from graph.core.pagination import Connection, paginate
from graph.core.permissions import Can
from graph.messaging.types import MessageStatus, OutboundMessage


@strawberry.type
class MessagingQuery:
    @strawberry.field(
        description="The store's outbound SMS, newest first, optionally only those in one status.",
        permission_classes=[Can("messages", "read")],
    )
    async def outbound_messages(
        self,
        info: Info,
        tenant_id: strawberry.ID | None = None,
        status: MessageStatus | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[OutboundMessage]:
        scope = info.context.require_tenant(optional_uuid(tenant_id))
        return await paginate(
            messaging.list_messages(tenant_id=scope, status=status.value if status else None),
            first=first,
            after=after,
            cap=info.context.settings.page_size_cap,
            to_node=OutboundMessage.from_model,
        )
