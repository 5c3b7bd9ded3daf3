"""Users, roles, web sessions, API tokens, login throttling and rate limits."""
