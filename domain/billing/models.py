"""The billing context's tables."""
