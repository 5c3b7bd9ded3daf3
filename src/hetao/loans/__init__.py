"""Instruments lent across the first line and due back: "one zone, two parks" (issue 20)."""
