"""Every query of the audit log that is not the append itself lives here."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from hetao.audit.models import AuditCheckpoint


def checkpoints_in_order(session: Session) -> Iterator[AuditCheckpoint]:
    """Every signed checkpoint, smallest tree first."""
    yield from session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.tree_size))
