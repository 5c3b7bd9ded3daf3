"""Queries of the stored reference table versions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import NamedTuple

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from hetao.reference_versions.models import ReferenceVersion, TableKind
from hetao.storage.driver import DriverQuery


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


class Digest(NamedTuple):
    sha256: str


_DIGEST_IN_FORCE = DriverQuery(
    select(ReferenceVersion.sha256)
    .where(
        ReferenceVersion.kind == bindparam("kind", type_=ReferenceVersion.kind.type),
        ReferenceVersion.effective_from
        <= bindparam("on", type_=ReferenceVersion.effective_from.type),
    )
    .order_by(ReferenceVersion.effective_from.desc(), ReferenceVersion.id.desc())
    .limit(1),
    Digest,
)


def digest_in_force(session: Session, kind: TableKind, on: dt.date) -> str | None:
    """The content hash of the version in force on ``on``, as ``in_force`` finds it: compiled
    once and run on the driver, for the gate reads the catalogue on every goods crossing."""
    found = _DIGEST_IN_FORCE.first(session.connection(), kind=kind, on=on)
    return None if found is None else found.sha256


def with_digest(session: Session, kind: TableKind, digest: str) -> ReferenceVersion:
    """A stored version of ``kind`` whose content hashes to ``digest`` (the same content under
    two versions parses alike)."""
    return session.scalars(
        select(ReferenceVersion)
        .where(ReferenceVersion.kind == kind, ReferenceVersion.sha256 == digest)
        .limit(1)
    ).one()


def versions(session: Session, kind: TableKind) -> Sequence[ReferenceVersion]:
    """Every stored version of a table, the latest effective first."""
    return session.scalars(
        select(ReferenceVersion)
        .where(ReferenceVersion.kind == kind)
        .order_by(ReferenceVersion.effective_from.desc(), ReferenceVersion.id.desc())
    ).all()
