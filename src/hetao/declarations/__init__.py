"""Declarations: what a party declares at a line or inside the zone; clearing posts the ledger."""
