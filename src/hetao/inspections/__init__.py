"""Inspections of selected crossings, their results and adjustments, and officers' overrides."""
