"""One error hierarchy for the whole platform, with no transport codes.

Each edge translates it once: problem+json for the API (``hetao.api_errors``), an exit code
for the CLI. Services raise these; they never know who is calling.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """One broken rule on one input field; ``row`` is set for bulk imports (1-based, header=1)."""

    field: str
    rule: str
    message: str
    row: int | None = None

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"field": self.field, "rule": self.rule, "message": self.message}
        if self.row is not None:
            out["row"] = self.row
        return out


class HetaoError(Exception):
    """Base of every error the platform raises on purpose."""

    #: Stable machine-readable code; the API puts it in the problem type URI.
    code = "error"
    title = "Error"

    def __init__(self, detail: str, *, problems: Sequence[FieldProblem] = ()) -> None:
        super().__init__(detail)
        self.detail = detail
        self.problems: tuple[FieldProblem, ...] = tuple(problems)


class ValidationFailed(HetaoError):
    """Input breaks a rule; ``problems`` names each field and rule."""

    code = "validation-failed"
    title = "Input is not valid"

    @classmethod
    def single(cls, field: str, rule: str, message: str) -> ValidationFailed:
        return cls(f"{field}: {message}", problems=[FieldProblem(field, rule, message)])


class NotFound(HetaoError):
    """The named object does not exist (or is not visible to the caller)."""

    code = "not-found"
    title = "Not found"


class Conflict(HetaoError):
    """The request clashes with the current state (a duplicate, a reused key)."""

    code = "conflict"
    title = "Conflict"


class TransitionForbidden(HetaoError):
    """A workflow verb was applied in a state that does not allow it."""

    code = "transition-forbidden"
    title = "Transition not allowed"

    def __init__(self, *, subject: str, current: str, action: str, allowed_from: Sequence[str]):
        allowed = ", ".join(allowed_from) or "no state"
        super().__init__(
            f"cannot {action} a {subject} that is {current}; {action} is allowed from: {allowed}",
            problems=[
                FieldProblem(
                    "status",
                    f"{subject}.{action}.allowed_from",
                    f"is {current}, must be one of: {allowed}",
                )
            ],
        )
        self.subject, self.current, self.action = subject, current, action
        self.allowed_from = tuple(allowed_from)


class RuleViolation(HetaoError):
    """A rule of the regime forbids the action (e.g. the 36-month waiver lockout, R6)."""

    code = "rule-violation"
    title = "Forbidden by a rule of the regime"


class ConfigurationError(HetaoError):
    """A zone profile or setting is invalid; raised at start, before anything is served."""

    code = "configuration-error"
    title = "Configuration is not valid"


class NotAuthenticated(HetaoError):
    """No valid credentials came with a request that needs them."""

    code = "not-authenticated"
    title = "Authentication required"


class PermissionDenied(HetaoError):
    """The caller may not do this; ``hidden`` objects are reported as not found instead.

    Hiding keeps a party's users from learning which ids other parties' objects have.
    """

    code = "permission-denied"
    title = "Permission denied"

    def __init__(self, detail: str, *, hidden: bool = False) -> None:
        super().__init__(detail)
        self.hidden = hidden


class RateLimited(HetaoError):
    """The caller sent more requests than its budget; retry after ``retry_after`` seconds."""

    code = "rate-limited"
    title = "Too many requests"

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"too many requests; retry after {retry_after:.1f} s")
        self.retry_after = retry_after


class Overloaded(HetaoError):
    """The server could not finish in time; nothing is promised, a retry is safe (503)."""

    code = "overloaded"
    title = "Server overloaded"

    def __init__(self, detail: str, *, retry_after: int = 1) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class BodyTooLarge(HetaoError):
    """A request body longer than the route takes; refused before it is read whole (413)."""

    code = "body-too-large"
    title = "Request body too large"

    def __init__(self, limit: int) -> None:
        message = f"must be at most {limit} bytes"
        super().__init__(
            f"the request body {message}",
            problems=[FieldProblem("body", "body.max_bytes", message)],
        )
        self.limit = limit


def prefixed(problems: Sequence[FieldProblem], prefix: str) -> tuple[FieldProblem, ...]:
    """The problems with their fields named within ``prefix`` (quantity: lines[2].quantity)."""
    return tuple(replace(p, field=f"{prefix}.{p.field}") for p in problems)


@contextmanager
def at_field(prefix: str) -> Iterator[None]:
    """Name the field of a larger input an error of a lower service is about (lines[2].quantity)."""
    try:
        yield
    except HetaoError as error:
        error.problems = prefixed(error.problems, prefix)
        raise
