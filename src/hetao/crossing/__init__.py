"""Crossings at both lines: events, zone credentials, decisions, selection and inspections."""
