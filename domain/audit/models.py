"""Who did what: an append-only record of owners' and admins' consequential actions."""
