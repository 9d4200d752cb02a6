"""The SMS providers context's part of the schema."""

from strawberry.tools import merge_types

from graph.sms.mutations.clear_sms_account import ClearSmsAccountMutation
from graph.sms.mutations.set_sms_account import SetSmsAccountMutation
from graph.sms.queries import SmsQuery

Query = SmsQuery
Mutation = merge_types("SmsMutation", (SetSmsAccountMutation, ClearSmsAccountMutation))
