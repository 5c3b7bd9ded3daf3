"""The administrator's pages: users, API tokens, the zone profile, rule sets, reference data."""
