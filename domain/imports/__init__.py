"""Importing customers and orders from CSV files as the store events the rest of Revisit understands."""
