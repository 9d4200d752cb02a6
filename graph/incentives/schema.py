"""The incentives context's part of the schema (queries only, for now)."""

from graph.incentives.queries import IncentivesQuery

Query = IncentivesQuery
