"""Researchers\x27 faces at the gate: enrolment with consent, sealed templates, 1:1 verification."""
