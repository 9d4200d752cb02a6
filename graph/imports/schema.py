"""The imports context's part of the schema: importing customers and orders from files."""

from graph.imports.mutations.import_customers import ImportCustomersMutation

Mutation = ImportCustomersMutation
