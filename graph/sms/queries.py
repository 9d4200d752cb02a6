"""SMS provider queries: the store's own account, the SMS customers sent, and how messages fared."""

from __future__ import annotations

from datetime import datetime

import strawberry

from domain.errors import DomainError
from domain.messaging import accounts, reports
from domain.messaging.models import InboundMessage as InboundMessageModel
from graph.core.context import Info
from graph.core.ids import optional_uuid
from graph.core.pagination import Connection, paginate
from graph.core.permissions import Can
from graph.sms.types import (
    READ,
    InboundMessage,
    SmsAccount,
    SmsCallbacks,
    SmsDeliveryCounts,
    callback_secret,
)

MAX_PERIOD_DAYS = 400


@strawberry.type
class SmsQuery:
    @strawberry.field(
        description="The store's own SMS provider account; null when it sends through the platform's line.",
        permission_classes=READ,
    )
    async def sms_account(self, info: Info, tenant_id: strawberry.ID | None = None) -> SmsAccount | None:
        scope = info.context.require_tenant(optional_uuid(tenant_id))
        account = await accounts.get_account(tenant_id=scope)
        if account is None:
            return None
        return SmsAccount.from_model(account, secret=callback_secret(info.context.settings))

    @strawberry.field(
        description="SMS customers sent to the store's line (opt-outs among them), newest first.",
        permission_classes=[Can("messages", "read")],
    )
    async def inbound_messages(
        self,
        info: Info,
        tenant_id: strawberry.ID | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[InboundMessage]:
        scope = info.context.require_tenant(optional_uuid(tenant_id))
        return await paginate(
            InboundMessageModel.filter(tenant_id=scope),
            first=first,
            after=after,
            cap=info.context.settings.page_size_cap,
            to_node=InboundMessage.from_model,
            time_field="received_at",
        )

    @strawberry.field(
        description=(
            f"How the store's SMS created in [start, end) fared: delivered, failed, undeliverable, still "
            f"waiting for a report, or with an unknown outcome. At most {MAX_PERIOD_DAYS} days."
        ),
        permission_classes=[Can("messages", "read")],
    )
    async def sms_delivery_counts(
        self, info: Info, start: datetime, end: datetime, tenant_id: strawberry.ID | None = None
    ) -> SmsDeliveryCounts:
        scope = info.context.require_tenant(optional_uuid(tenant_id))
        if start.tzinfo is None or end.tzinfo is None:
            raise DomainError("INVALID", "start and end need a time zone offset.", field="start")
        if end <= start or (end - start).days > MAX_PERIOD_DAYS:
            raise DomainError(
                "INVALID", f"end must follow start by at most {MAX_PERIOD_DAYS} days.", field="end"
            )
        return SmsDeliveryCounts.from_row(
            await reports.delivery_counts(tenant_id=scope, start=start, end=end)
        )

    @strawberry.field(
        description="The platform line's callback paths, to set in the platform's Kavenegar panel.",
        permission_classes=[Can("sms_platform", "read")],
    )
    async def platform_sms_callbacks(self, info: Info) -> SmsCallbacks:
        return SmsCallbacks.for_scope(secret=callback_secret(info.context.settings), scope="platform")
