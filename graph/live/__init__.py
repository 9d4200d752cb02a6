"""Live status over GraphQL subscriptions (graphql-transport-ws): a campaign's progress and a store's
event monitor, fed by :mod:`revisit.live`."""
