"""The messaging context's part of the schema (queries only, for now)."""

from graph.messaging.queries import MessagingQuery

Query = MessagingQuery
