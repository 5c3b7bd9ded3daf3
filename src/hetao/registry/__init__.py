"""Whitelist registry: parties, persons, vehicles, applications and entries."""
