"""Secrets for sessions and API tokens: generation, hashing, the token format."""

from __future__ import annotations

import hashlib
import hmac
import secrets

#: Every API token starts with this, so secret scanners and log filters can recognise it.
SCHEME = "hetao"
#: Length of ``secrets.token_urlsafe(32)``: 32 random bytes, base64url without padding.
SECRET_LENGTH = 43
#: Largest id an API token can have (a 32-bit signed integer column on PostgreSQL).
_MAX_ID = 2**31 - 1


def new_secret() -> str:
    """A fresh 256-bit secret, URL-safe."""
    return secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    """SHA-256 hex of a secret: fine without salt or stretching, the secret has 256 bits."""
    return hashlib.sha256(secret.encode()).hexdigest()


def csrf_for(session_secret: str) -> str:
    """A web session's CSRF token, derived from its cookie's secret and so never stored: only
    a holder of the cookie (the page the server rendered, or ``/auth/me``) can know it."""
    return hmac.new(session_secret.encode(), b"hetao csrf token", hashlib.sha256).hexdigest()


def secrets_match(secret: str, stored_hash: str) -> bool:
    """Constant-time comparison of a presented secret with a stored hash."""
    return hmac.compare_digest(hash_secret(secret), stored_hash)


def format_token(token_id: int, secret: str) -> str:
    """The raw API token handed out once: ``hetao_<id>_<secret>``."""
    return f"{SCHEME}_{token_id}_{secret}"


def parse_token(raw: str) -> tuple[int, str] | None:
    """The id and secret of a raw token, or None when it is not in our format."""
    if len(raw) > len(SCHEME) + 12 + SECRET_LENGTH:
        return None
    # The secret may itself contain "_", so split only twice.
    parts = raw.split("_", 2)
    if len(parts) != 3 or parts[0] != SCHEME:
        return None
    id_text, secret = parts[1], parts[2]
    if not (id_text.isascii() and id_text.isdigit()) or len(secret) != SECRET_LENGTH:
        return None
    token_id = int(id_text)
    if not 0 < token_id <= _MAX_ID:
        return None
    return token_id, secret
