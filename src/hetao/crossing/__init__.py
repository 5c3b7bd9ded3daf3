"""Crossings at both lines: events, the facts gathered for them, their decisions and replays."""
