"""One way to move a workflow: the table of allowed moves, the state change, the audit event.

Each subject's workflow is a table: for each verb, the states it may start from and the state it
leads to (None: the state stays, e.g. a change of credit level). ``Workflow.move`` checks the
table, changes the state and stamps ``updated_at``; ``audit`` appends the event tagged
``source:subject:action`` in the same transaction. A table is also a read-only mapping, so a
test can walk every allowed and forbidden move.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from enum import StrEnum
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy.orm import Session

from hetao.audit.service import Actor, json_stable, record_event
from hetao.audit.tags import EventTag
from hetao.errors import TransitionForbidden
from hetao.storage.types import utcnow

StatusT = TypeVar("StatusT", bound=StrEnum)


class HasStatus(Protocol):
    """An object a workflow moves: anything with a ``status``."""

    status: Any


class Workflow(Mapping[str, tuple[frozenset[StatusT], StatusT | None]], Generic[StatusT]):
    """The moves of one subject (``application``, ``transfer`` ...), by verb."""

    def __init__(
        self, subject: str, moves: Mapping[str, tuple[Iterable[StatusT], StatusT | None]]
    ) -> None:
        self.subject = subject
        self._moves = {verb: (frozenset(start), end) for verb, (start, end) in moves.items()}

    def __getitem__(self, verb: str) -> tuple[frozenset[StatusT], StatusT | None]:
        return self._moves[verb]

    def __iter__(self) -> Iterator[str]:
        return iter(self._moves)

    def __len__(self) -> int:
        return len(self._moves)

    def check(self, obj: HasStatus, verb: str) -> None:
        """Refuse ``verb`` unless ``obj`` is in a state it may start from."""
        allowed, _ = self._moves[verb]
        if obj.status not in allowed:
            raise TransitionForbidden(
                subject=self.subject,
                current=obj.status,
                action=verb,
                allowed_from=sorted(allowed),
            )

    def move(self, obj: HasStatus, verb: str) -> StatusT:
        """Apply ``verb`` to ``obj``; the state it was in. ``updated_at`` is stamped where kept."""
        self.check(obj, verb)
        before: StatusT = obj.status
        target = self._moves[verb][1]
        if target is not None:
            obj.status = target
        if hasattr(obj, "updated_at"):
            obj.updated_at = utcnow()
        return before


def audit(
    session: Session,
    tag: EventTag,
    subject_id: int | str,
    actor: Actor,
    *,
    subject_type: str | None = None,
    **data: Any,
) -> None:
    """Append the event ``tag`` about ``subject_id`` in the session's transaction.

    The subject type is the tag's subject unless given (data transfers keep theirs); values are
    stored as stable JSON (Decimals, dates and instants as strings).
    """
    record_event(
        session,
        tag,
        subject_type=subject_type or tag.subject,
        subject_id=subject_id,
        actor=actor,
        data={key: json_stable(value) for key, value in data.items()},
    )


def audit_present(
    session: Session, tag: EventTag, subject_id: int, actor: Actor, **data: Any
) -> None:
    """Append the event ``tag`` with only the values of ``data`` that are present (not None)."""
    audit(session, tag, subject_id, actor, **present(data))


def present(data: dict[str, Any]) -> dict[str, Any]:
    """Event data without its absent (None) values."""
    return {key: value for key, value in data.items() if value is not None}
