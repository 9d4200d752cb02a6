"""Create, rotate and revoke the access keys stores connect with."""

from __future__ import annotations

from typing import Annotated

import strawberry
from tortoise.transactions import in_transaction

from domain.tenancy import service as tenancy
from graph.core.context import Info
from graph.core.errors import errors_as_data
from graph.core.ids import optional_uuid, to_uuid
from graph.core.permissions import Can
from graph.tenancy.inputs import KEY_NAME_HELP, check_key_name
from graph.tenancy.types import StoreKey, StoreKeyError, StoreKeyErrorCode


@strawberry.type
class StoreKeyPayload:
    store_key: StoreKey | None = None
    token: str | None = strawberry.field(
        default=None, description="The whole key, to paste into the plugin. Shown this once only."
    )
    errors: list[StoreKeyError] = strawberry.field(default_factory=list)


WRITE_KEYS = [Can("store_keys", "write")]


@strawberry.type
class StoreKeyMutations:
    @strawberry.mutation(
        description="Make a new access key for the store.",
        permission_classes=WRITE_KEYS,
        extensions=errors_as_data(StoreKeyPayload, StoreKeyError, StoreKeyErrorCode),
    )
    async def create_store_key(
        self,
        info: Info,
        name: Annotated[str, strawberry.argument(description=KEY_NAME_HELP)],
        tenant_id: strawberry.ID | None = None,
    ) -> StoreKeyPayload:
        check_key_name(name)
        scope = info.context.require_tenant(optional_uuid(tenant_id))
        async with in_transaction():
            key, token = await tenancy.create_store_key(tenant_id=scope, name=name)
        return StoreKeyPayload(store_key=StoreKey.from_model(key), token=token)

    @strawberry.mutation(
        description="Revoke a key and make its replacement. The old key stops working at once.",
        permission_classes=WRITE_KEYS,
        extensions=errors_as_data(StoreKeyPayload, StoreKeyError, StoreKeyErrorCode),
    )
    async def rotate_store_key(
        self, info: Info, id: strawberry.ID, tenant_id: strawberry.ID | None = None
    ) -> StoreKeyPayload:
        scope = info.context.require_tenant(optional_uuid(tenant_id))
        async with in_transaction():
            key, token = await tenancy.rotate_store_key(tenant_id=scope, key_id=to_uuid(id, what="Store key"))
        return StoreKeyPayload(store_key=StoreKey.from_model(key), token=token)

    @strawberry.mutation(
        description="Revoke a key. Revoking it again changes nothing.",
        permission_classes=WRITE_KEYS,
        extensions=errors_as_data(StoreKeyPayload, StoreKeyError, StoreKeyErrorCode),
    )
    async def revoke_store_key(
        self, info: Info, id: strawberry.ID, tenant_id: strawberry.ID | None = None
    ) -> StoreKeyPayload:
        scope = info.context.require_tenant(optional_uuid(tenant_id))
        key = await tenancy.revoke_store_key(tenant_id=scope, key_id=to_uuid(id, what="Store key"))
        return StoreKeyPayload(store_key=StoreKey.from_model(key))
