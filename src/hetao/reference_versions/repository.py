"""Queries of the stored reference table versions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from hetao.reference_versions.models import ReferenceVersion, TableKind


def version_of(session: Session, kind: TableKind, version: str) -> ReferenceVersion | None:
    """The stored ``version`` of a table, if any."""
    return session.scalars(
        select(ReferenceVersion).where(
            ReferenceVersion.kind == kind, ReferenceVersion.version == version
        )
    ).first()


def in_force(session: Session, kind: TableKind, on: dt.date) -> ReferenceVersion | None:
    """The version effective last on ``on`` (the one added later wins a tie)."""
    return session.scalars(
        select(ReferenceVersion)
        .where(ReferenceVersion.kind == kind, ReferenceVersion.effective_from <= on)
        .order_by(ReferenceVersion.effective_from.desc(), ReferenceVersion.id.desc())
        .limit(1)
    ).first()


def versions(session: Session, kind: TableKind) -> Sequence[ReferenceVersion]:
    """Every stored version of a table, the latest effective first."""
    return session.scalars(
        select(ReferenceVersion)
        .where(ReferenceVersion.kind == kind)
        .order_by(ReferenceVersion.effective_from.desc(), ReferenceVersion.id.desc())
    ).all()
