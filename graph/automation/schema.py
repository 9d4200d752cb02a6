"""The automation context's part of the schema."""

from strawberry.tools import merge_types

from graph.automation.mutations.activate_automation import ActivateAutomationMutation
from graph.automation.mutations.create_automation import CreateAutomationMutation
from graph.automation.mutations.dry_run_journey import DryRunJourneyMutation
from graph.automation.mutations.migrate_journey_runs import MigrateJourneyRunsMutation
from graph.automation.mutations.pause_automation import PauseAutomationMutation
from graph.automation.mutations.update_automation import UpdateAutomationMutation
from graph.automation.queries import AutomationQuery
from graph.automation.queries_statistics import JourneyStatisticsQuery

Query = merge_types("AutomationQuery", (AutomationQuery, JourneyStatisticsQuery))
Mutation = merge_types(
    "AutomationMutation",
    (
        CreateAutomationMutation,
        UpdateAutomationMutation,
        ActivateAutomationMutation,
        PauseAutomationMutation,
        DryRunJourneyMutation,
        MigrateJourneyRunsMutation,
    ),
)
