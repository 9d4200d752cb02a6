"""The campaigns context's tables."""
