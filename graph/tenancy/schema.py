"""The tenancy context's part of the schema."""

from strawberry.tools import merge_types

from graph.tenancy.mutations.create_store_key import CreateStoreKeyMutation
from graph.tenancy.mutations.create_webhook_secret import CreateWebhookSecretMutation
from graph.tenancy.mutations.login import LoginMutation
from graph.tenancy.mutations.register import RegisterMutation
from graph.tenancy.mutations.revoke_store_key import RevokeStoreKeyMutation
from graph.tenancy.mutations.rotate_store_key import RotateStoreKeyMutation
from graph.tenancy.queries import TenancyQuery

Query = TenancyQuery
Mutation = merge_types(
    "TenancyMutation",
    (
        RegisterMutation,
        LoginMutation,
        CreateStoreKeyMutation,
        RotateStoreKeyMutation,
        RevokeStoreKeyMutation,
        CreateWebhookSecretMutation,
    ),
)
