"""Reference table versions: validate an upload, keep it beside the others, find the one in force.

An upload is checked by the importer of its table (problems name the file's line and column),
stored with the day it takes effect, and never changed: the same version again with other
content is a Conflict. The table in force on a day is the newest version effective that day;
with none stored, the packaged file (``load_tariff(None)`` and the like) stays in force.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Sequence
from typing import TypeAlias, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hetao.audit.service import Actor
from hetao.audit.tags import ReferenceTag
from hetao.errors import Conflict, FieldProblem
from hetao.reference.exemption_exclusions import (
    ExemptionExclusions,
    import_exemption_exclusions,
    load_exemption_exclusions,
)
from hetao.reference.legal_inspection import (
    LegalInspectionCatalogue,
    import_legal_inspection,
    load_legal_inspection,
)
from hetao.reference.rates import RateTable, import_rates, load_rates
from hetao.reference.tariff import Tariff, import_tariff, load_tariff
from hetao.reference_versions import repository
from hetao.reference_versions.models import ReferenceVersion, TableKind
from hetao.storage.types import utcnow
from hetao.workflow import audit

Table: TypeAlias = Tariff | RateTable | ExemptionExclusions | LegalInspectionCatalogue
TableT = TypeVar("TableT", Tariff, RateTable, ExemptionExclusions, LegalInspectionCatalogue)

#: Each table's importer (the same as for the packaged file) and its packaged table.
IMPORTERS: dict[TableKind, Callable[..., Table]] = {
    TableKind.TARIFF: import_tariff,
    TableKind.RATES: import_rates,
    TableKind.EXCLUSIONS: import_exemption_exclusions,
    TableKind.INSPECTION: import_legal_inspection,
}
PACKAGED: dict[TableKind, Callable[[], Table]] = {
    TableKind.TARIFF: lambda: load_tariff(None),
    TableKind.RATES: lambda: load_rates(None),
    TableKind.EXCLUSIONS: lambda: load_exemption_exclusions(None),
    TableKind.INSPECTION: lambda: load_legal_inspection(None),
}

# Parsed once per content: a stored version never changes, so its hash names it.
_parsed: dict[str, Table] = {}


def check(kind: TableKind, text: str, *, source: str = "upload") -> Table:
    """The table ``text`` holds; ValidationFailed names the line and column of each problem."""
    table = _parsed.get(_digest(text))
    return table if table is not None else IMPORTERS[TableKind(kind)](text, source=source)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def add_version(
    session: Session,
    kind: TableKind,
    text: str,
    *,
    effective_from: dt.date,
    actor: Actor,
    source: str = "upload",
) -> tuple[ReferenceVersion, bool]:
    """Validate and keep a new version, in force from ``effective_from``.

    The same version with the same content and day again returns the first (False); with
    other content or another day it is a Conflict: a new version needs a new name.
    """
    kind = TableKind(kind)
    table = check(kind, text, source=source)
    digest = _digest(text)
    existing = repository.version_of(session, kind, table.version)
    if existing is not None:
        if existing.sha256 == digest and existing.effective_from == effective_from:
            return existing, False
        raise Conflict(
            f"{kind.value} version {table.version} is stored already; give the file a new version",
            problems=[FieldProblem("file", "reference.version_reused", "already stored")],
        )
    row = ReferenceVersion(
        kind=kind,
        version=table.version,
        effective_from=effective_from,
        content=text,
        sha256=digest,
        rows=len(table),
        rate_kind=table.kind.value,
        created_by=str(actor),
        created_at=utcnow(),
    )
    try:
        with session.begin_nested():  # a concurrent upload may store the same version first
            session.add(row)
            session.flush()  # the id is needed by the audit event
    except IntegrityError:
        return add_version(
            session, kind, text, effective_from=effective_from, actor=actor, source=source
        )
    _parsed[digest] = table
    audit(
        session,
        ReferenceTag.VERSION_ADD,
        row.id,
        actor,
        kind=kind.value,
        version=row.version,
        effective_from=effective_from.isoformat(),
        sha256=digest,
        rows=row.rows,
    )
    return row, True


def version_in_force(session: Session, kind: TableKind, *, on: dt.date) -> ReferenceVersion | None:
    """The stored version of ``kind`` in force on ``on``: None while the packaged one is."""
    return repository.in_force(session, TableKind(kind), on)


def table_in_force(session: Session, kind: TableKind, *, on: dt.date) -> Table:
    """The newest version of ``kind`` effective on ``on``, else the packaged table."""
    kind = TableKind(kind)
    digest = repository.digest_in_force(session, kind, on)
    if digest is None:
        return PACKAGED[kind]()
    table = _parsed.get(digest)  # a version parsed once in this process is not read again
    if table is None:
        row = repository.with_digest(session, kind, digest)
        table = IMPORTERS[kind](row.content, source=f"{kind.value} {row.version}")
        _parsed[digest] = table
    return table


def tariff_in_force(session: Session, *, on: dt.date) -> Tariff:
    """The tariff in force on ``on``."""
    return _of_type(table_in_force(session, TableKind.TARIFF, on=on), Tariff)


def rates_in_force(session: Session, *, on: dt.date) -> RateTable:
    """The exchange rate table in force on ``on``."""
    return _of_type(table_in_force(session, TableKind.RATES, on=on), RateTable)


def exclusions_in_force(session: Session, *, on: dt.date) -> ExemptionExclusions:
    """The exemption exclusions in force on ``on``."""
    return _of_type(table_in_force(session, TableKind.EXCLUSIONS, on=on), ExemptionExclusions)


def inspection_catalogue_in_force(session: Session, *, on: dt.date) -> LegalInspectionCatalogue:
    """The legal-inspection catalogue in force on ``on`` (R12, R10)."""
    table = table_in_force(session, TableKind.INSPECTION, on=on)
    return _of_type(table, LegalInspectionCatalogue)


def _of_type(table: Table, kind: type[TableT]) -> TableT:
    if not isinstance(table, kind):  # an importer of another table: a programming error
        raise TypeError(f"{type(table).__name__} is not a {kind.__name__}")
    return table


def versions(session: Session, kind: TableKind) -> Sequence[ReferenceVersion]:
    """Every stored version of ``kind``, the latest effective first."""
    return repository.versions(session, TableKind(kind))
