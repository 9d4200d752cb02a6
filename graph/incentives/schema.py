"""The incentives context's part of the schema."""

from strawberry.tools import merge_types

from graph.incentives.audit import AuditQuery
from graph.incentives.mutations.adjust_credit import AdjustCreditMutation
from graph.incentives.mutations.hold_credit import HoldCreditMutation
from graph.incentives.mutations.release_credit import ReleaseCreditMutation
from graph.incentives.queries import IncentivesQuery

Query = merge_types("IncentivesQueries", (IncentivesQuery, AuditQuery))
Mutation = merge_types(
    "IncentivesMutation", (HoldCreditMutation, ReleaseCreditMutation, AdjustCreditMutation)
)
