"""createStoreKey: a new access key for the store."""

from __future__ import annotations

from typing import Annotated

import strawberry
from tortoise.transactions import in_transaction

from domain.tenancy import service as tenancy
from graph.core.context import Info
from graph.core.errors import errors_as_data
from graph.core.ids import optional_uuid
from graph.core.permissions import Can
from graph.tenancy.inputs import KEY_NAME_HELP, check_key_name
from graph.tenancy.types import StoreKey, StoreKeyError, StoreKeyErrorCode, StoreKeyPayload


@strawberry.type
class CreateStoreKeyMutation:
    @strawberry.mutation(
        description="Make a new access key for the store.",
        permission_classes=[Can("store_keys", "write")],
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
