"""Cross-border data transfers: routing per R33-R37, applications and the dedicated channel log."""
