"""The customers context's part of the schema (queries only: customers and orders come from events)."""

from graph.customers.queries import CustomersQuery

Query = CustomersQuery
