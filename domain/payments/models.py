"""The payments context's tables."""
