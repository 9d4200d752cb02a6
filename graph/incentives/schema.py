"""The incentives context's part of the schema."""

from strawberry.tools import merge_types

from graph.incentives.mutations.hold_credit import HoldCreditMutation
from graph.incentives.mutations.release_credit import ReleaseCreditMutation
from graph.incentives.queries import IncentivesQuery

Query = IncentivesQuery
Mutation = merge_types("IncentivesMutation", (HoldCreditMutation, ReleaseCreditMutation))
