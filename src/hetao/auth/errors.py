"""Errors of the auth domain, in the platform's one hierarchy (no transport codes)."""

from __future__ import annotations

from hetao.errors import HetaoError


class LoginRefused(HetaoError):
    """Wrong username, wrong password or inactive account: one error so none is revealed.

    The failed attempt has been added to the session: the entry point commits it before
    reporting this error, or throttling never sees the failure.
    """

    code = "login-refused"
    title = "Login refused"

    def __init__(self) -> None:
        super().__init__("the username or password is not correct, or the account is not active")


class TooManyAttempts(HetaoError):
    """Too many recent failures: attempts are refused until ``retry_after_seconds`` pass."""

    code = "too-many-attempts"
    title = "Too many attempts"

    def __init__(self, detail: str, *, retry_after_seconds: int) -> None:
        super().__init__(detail)
        self.retry_after_seconds = retry_after_seconds
