"""The payments context's part of the schema."""

from strawberry.tools import merge_types

from graph.payments.mutations.check_top_up import CheckTopUpMutation
from graph.payments.mutations.start_top_up import StartTopUpMutation
from graph.payments.queries import PaymentsQuery

Query = PaymentsQuery
Mutation = merge_types("PaymentsMutation", (StartTopUpMutation, CheckTopUpMutation))
