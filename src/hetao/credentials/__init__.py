"""Zone credentials: signed QR tokens for whitelisted people, their keys and revocations."""
