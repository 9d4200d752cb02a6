"""The merchant wallet: what Revisit charges a store, from what it prepaid."""
