"""Recording audit events inside the caller's transaction."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from hetao.audit.models import AuditEvent

#: Set by each entry point (the API middleware, the CLI) so events carry it without plumbing.
current_request_id: ContextVar[str | None] = ContextVar("current_request_id", default=None)


@dataclass(frozen=True, slots=True)
class Actor:
    """Who caused a change: ``kind`` is user, device, cli or system."""

    kind: str
    name: str

    def __str__(self) -> str:
        return f"{self.kind}:{self.name}"


SYSTEM = Actor("system", "hetao")


def record_event(
    session: Session,
    tag: str,
    *,
    subject_type: str,
    subject_id: int | str,
    actor: Actor,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add an audit event to the session; it commits or rolls back with the change it records."""
    source, subject, action = tag.split(":")
    if not (source and subject and action):
        raise ValueError(f"audit tag must be source:subject:action, got {tag!r}")
    event = AuditEvent(
        tag=tag,
        subject_type=subject_type,
        subject_id=str(subject_id),
        actor=str(actor),
        request_id=current_request_id.get(),
        data=data or {},
    )
    session.add(event)
    return event
