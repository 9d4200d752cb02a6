"""The tenancy context's part of the schema."""

from strawberry.tools import merge_types

from graph.tenancy.mutations.accounts import AccountMutations
from graph.tenancy.mutations.store_keys import StoreKeyMutations
from graph.tenancy.queries import TenancyQuery

Query = TenancyQuery
Mutation = merge_types("TenancyMutation", (AccountMutations, StoreKeyMutations))
