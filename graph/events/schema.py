"""The events context's part of the schema: receiving events and looking at what was received."""

from strawberry.tools import merge_types

from graph.events.mutations.ingest_events import IngestEventsMutation
from graph.events.mutations.ingest_woocommerce_webhook import IngestWooCommerceWebhookMutation
from graph.events.mutations.replay_events import ReplayEventsMutation
from graph.events.queries import EventsQuery

Query = EventsQuery
Mutation = merge_types(
    "EventsMutation", (IngestEventsMutation, ReplayEventsMutation, IngestWooCommerceWebhookMutation)
)
