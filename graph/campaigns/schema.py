"""The campaigns context's part of the schema."""

from strawberry.tools import merge_types

from graph.campaigns.mutations.cancel_campaign import CancelCampaignMutation
from graph.campaigns.mutations.create_campaign import CreateCampaignMutation
from graph.campaigns.mutations.delete_campaign import DeleteCampaignMutation
from graph.campaigns.mutations.launch_campaign import LaunchCampaignMutation
from graph.campaigns.mutations.pause_campaign import PauseCampaignMutation
from graph.campaigns.mutations.resume_campaign import ResumeCampaignMutation
from graph.campaigns.mutations.schedule_campaign import ScheduleCampaignMutation
from graph.campaigns.mutations.send_campaign_test import SendCampaignTestMutation
from graph.campaigns.mutations.update_campaign import UpdateCampaignMutation
from graph.campaigns.queries import CampaignsQuery

Query = CampaignsQuery
Mutation = merge_types(
    "CampaignMutation",
    (
        CreateCampaignMutation,
        UpdateCampaignMutation,
        DeleteCampaignMutation,
        ScheduleCampaignMutation,
        LaunchCampaignMutation,
        PauseCampaignMutation,
        ResumeCampaignMutation,
        CancelCampaignMutation,
        SendCampaignTestMutation,
    ),
)
