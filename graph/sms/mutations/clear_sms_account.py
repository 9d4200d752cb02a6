"""clearSmsAccount: go back to the platform's line."""

from __future__ import annotations

import strawberry

from domain.messaging import accounts
from graph.core.context import Info
from graph.core.ids import optional_uuid
from graph.sms.types import WRITE, ClearSmsAccountPayload, clear_errors


@strawberry.type
class ClearSmsAccountMutation:
    @strawberry.mutation(
        description=(
            "Forget the store's own provider account (its sealed key with it); its SMS go through the "
            "platform's line again. Clearing when there is none answers cleared: false."
        ),
        permission_classes=WRITE,
        extensions=clear_errors(),
    )
    async def clear_sms_account(
        self, info: Info, tenant_id: strawberry.ID | None = None
    ) -> ClearSmsAccountPayload:
        scope = info.context.require_tenant(optional_uuid(tenant_id))
        return ClearSmsAccountPayload(cleared=await accounts.clear_account(tenant_id=scope))
