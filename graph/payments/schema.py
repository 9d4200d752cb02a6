"""The payments context's part of the schema."""

from graph.payments.mutations.start_top_up import StartTopUpMutation
from graph.payments.queries import PaymentsQuery

Query = PaymentsQuery
Mutation = StartTopUpMutation
