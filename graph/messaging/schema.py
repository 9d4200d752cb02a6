"""The messaging context's part of the schema: outbound messages, the sending policy, suppressions."""

from strawberry.tools import merge_types

from graph.messaging.mutations.add_sms_suppression import AddSmsSuppressionMutation
from graph.messaging.mutations.remove_sms_suppression import RemoveSmsSuppressionMutation
from graph.messaging.mutations.update_sending_policy import UpdateSendingPolicyMutation
from graph.messaging.policy_queries import SendingPolicyQuery
from graph.messaging.queries import MessagingQuery

Query = merge_types("MessagingQuery", (MessagingQuery, SendingPolicyQuery))
Mutation = merge_types(
    "MessagingMutation",
    (UpdateSendingPolicyMutation, AddSmsSuppressionMutation, RemoveSmsSuppressionMutation),
)
