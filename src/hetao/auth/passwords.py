"""Password hashing (argon2id) and the password policy."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

from hetao.errors import ValidationFailed

# RFC 9106's second recommended option (argon2id, t=3, 64 MiB, p=4): memory-hard against GPU
# guessing yet about 0.1 s on a gate box or laptop. Changing it rehashes users at next login.
_HASHER = PasswordHasher(
    time_cost=3,
    memory_cost=64 * 1024,
    parallelism=4,
    hash_len=32,
    salt_len=16,
    type=Type.ID,
)

PASSWORD_MIN_LENGTH = 12
#: Upper bound so a megabyte "password" cannot be used to burn CPU; no human needs more.
PASSWORD_MAX_LENGTH = 1024


def hash_password(password: str) -> str:
    """The argon2id hash (PHC string, salt included) of ``password``."""
    return _HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches ``password_hash``; a malformed hash is simply no match."""
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        # VerifyMismatchError is a VerificationError: a wrong password is not an exception here.
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether the hash was made with other parameters than today's (rehash after a login)."""
    try:
        return _HASHER.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


def verify_dummy(password: str) -> None:
    """Spend the time of one verification, so an unknown username takes as long as a known one."""
    verify_password(_dummy_hash(), password)


@cache
def _dummy_hash() -> str:
    return _HASHER.hash("hetao-dummy-password-never-matches")


def check_password_policy(password: str, *, username: str) -> None:
    """Refuse a password that is too short, too long or the username itself."""
    if len(password) < PASSWORD_MIN_LENGTH:
        message = f"must be at least {PASSWORD_MIN_LENGTH} characters long"
    elif len(password) > PASSWORD_MAX_LENGTH:
        message = f"must be at most {PASSWORD_MAX_LENGTH} characters long"
    elif password.strip().casefold() == username.strip().casefold():
        message = "must not be the username"
    else:
        return
    raise ValidationFailed.single("password", "password.policy", message)
