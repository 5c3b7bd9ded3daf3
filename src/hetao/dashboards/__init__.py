"""The zone's figures: dashboards with charts and tables, the second line's goods and taxes."""
