"""rotateStoreKey: revoke a key and make its replacement."""

from __future__ import annotations

import strawberry
from tortoise.transactions import in_transaction

from domain.tenancy import service as tenancy
from graph.core.context import Info
from graph.core.errors import errors_as_data
from graph.core.ids import optional_uuid, to_uuid
from graph.core.permissions import Can
from graph.tenancy.types import StoreKey, StoreKeyError, StoreKeyErrorCode, StoreKeyPayload


@strawberry.type
class RotateStoreKeyMutation:
    @strawberry.mutation(
        description="Revoke a key and make its replacement. The old key stops working at once.",
        permission_classes=[Can("store_keys", "write")],
        extensions=errors_as_data(StoreKeyPayload, StoreKeyError, StoreKeyErrorCode),
    )
    async def rotate_store_key(
        self, info: Info, id: strawberry.ID, tenant_id: strawberry.ID | None = None
    ) -> StoreKeyPayload:
        scope = info.context.require_tenant(optional_uuid(tenant_id))
        async with in_transaction():
            key, token = await tenancy.rotate_store_key(tenant_id=scope, key_id=to_uuid(id, what="Store key"))
        return StoreKeyPayload(store_key=StoreKey.from_model(key), token=token)
