"""Audit events: every state change, who made it, and why."""
