"""The automation context's part of the schema."""

from graph.automation.mutations.automations import AutomationMutations
from graph.automation.queries import AutomationQuery

Query = AutomationQuery
Mutation = AutomationMutations
