"""The billing context's part of the schema."""

from strawberry.tools import merge_types

from graph.billing.mutations.set_billing_settings import SetBillingSettingsMutation
from graph.billing.mutations.set_tariffs import SetTariffsMutation
from graph.billing.mutations.subscribe_to_plan import SubscribeToPlanMutation
from graph.billing.queries import BillingQuery

Query = merge_types("BillingQueries", (BillingQuery,))
Mutation = merge_types(
    "BillingMutation", (SetBillingSettingsMutation, SubscribeToPlanMutation, SetTariffsMutation)
)
