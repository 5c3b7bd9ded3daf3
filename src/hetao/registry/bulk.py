"""Bulk import of persons and vehicles from CSV: every bad row reported, nothing half-applied.

Columns are documented in docs/registry-import.md. Parties are named by their registration
number (unified social credit code or Hong Kong BR number), which is what users have at hand.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from hetao.audit.service import Actor
from hetao.errors import FieldProblem, ValidationFailed
from hetao.inputs import text_fault
from hetao.profiles import ZoneProfile
from hetao.registry import parties as registry_parties
from hetao.registry import repository
from hetao.registry.schemas import PersonCreate, VehicleCreate

MAX_ROWS = 50_000

PERSON_COLUMNS = {
    "family_name": True,
    "given_name": True,
    "name_zh": False,
    "birth_date": True,
    "residency": True,
    "nationality": True,
    "document_kind": True,
    "document_number": True,
    "document_issuing_country": True,
    "document_expiry_date": False,
    "mrz_line1": False,
    "mrz_line2": False,
    "affiliation_party": False,
    "affiliation_role": False,
}
VEHICLE_COLUMNS = {
    "plate": True,
    "plate_region": True,
    "hk_plate": False,
    "kind": True,
    "owner_party": True,
    "permit_number": False,
    "permit_crossing_points": False,
    "permit_valid_from": False,
    "permit_valid_until": False,
}

# Where a schema path (with list indexes removed) comes from in the CSV.
_PERSON_FIELD_TO_COLUMN = {
    "documents.kind": "document_kind",
    "documents.number": "document_number",
    "documents": "document_number",
    "documents.issuing_country": "document_issuing_country",
    "documents.expiry_date": "document_expiry_date",
    "documents.mrz_line1": "mrz_line1",
    "documents.mrz_line2": "mrz_line2",
    "affiliations.party_id": "affiliation_party",
    "affiliations.role": "affiliation_role",
    "affiliations": "affiliation_party",
    "": "birth_date",
}
_VEHICLE_FIELD_TO_COLUMN = {
    "owner_party_id": "owner_party",
    "permits.number": "permit_number",
    "permits.crossing_points": "permit_crossing_points",
    "permits.valid_from": "permit_valid_from",
    "permits.valid_until": "permit_valid_until",
    "permits": "permit_valid_until",
    "": "plate",
}


class ImportResult(BaseModel):
    """What a successful import created."""

    imported: int
    ids: list[int]


SchemaT = TypeVar("SchemaT", bound=BaseModel)


def _column_of(field: str, mapping: Mapping[str, str]) -> str:
    path = re.sub(r"\[\d+\]", "", field).strip(".")
    return mapping.get(path, path)


def _read(text: str, columns: Mapping[str, bool]) -> list[dict[str, str]]:
    """Parse the CSV and check its header; a bad header is reported against row 1."""
    reader = csv.DictReader(io.StringIO(text.removeprefix("\ufeff")))
    header = [h.strip() for h in reader.fieldnames or []]
    problems = [
        FieldProblem(name, "csv.unknown_column", "is not a column of this import", row=1)
        for name in header
        if name not in columns
    ] + [
        FieldProblem(name, "csv.required_column", "is missing from the header", row=1)
        for name, required in columns.items()
        if required and name not in header
    ]
    if problems:
        raise ValidationFailed(
            "the CSV header is not right; nothing was imported", problems=problems
        )
    rows = []
    for raw in reader:
        if None in raw:
            rows.append({"__extra__": "1"})
            continue
        rows.append({k.strip(): (v or "").strip() for k, v in raw.items() if k is not None})
    if len(rows) > MAX_ROWS:
        raise ValidationFailed.single("file", "csv.max_rows", f"has more than {MAX_ROWS} rows")
    if not rows:
        raise ValidationFailed.single("file", "csv.not_empty", "has no data rows")
    _refuse_control_characters(rows)
    return rows


def _refuse_control_characters(rows: Sequence[Mapping[str, str]]) -> None:
    """Checked before any cell is looked up (party registration numbers are, at once)."""
    problems = [
        FieldProblem(column, *fault, row=index + 2)  # the header is row 1
        for index, row in enumerate(rows)
        for column, cell in row.items()
        if (fault := text_fault(cell)) is not None
    ]
    if problems:
        raise ValidationFailed(
            f"{len({p.row for p in problems})} row(s) are not valid; nothing was imported",
            problems=problems,
        )


def _validate_rows(
    rows: Sequence[dict[str, str]],
    *,
    build: Callable[[dict[str, str]], dict[str, Any]],
    schema: type[SchemaT],
    mapping: Mapping[str, str],
) -> tuple[list[tuple[int, SchemaT]], list[FieldProblem]]:
    valid: list[tuple[int, SchemaT]] = []
    problems: list[FieldProblem] = []
    for index, raw in enumerate(rows):
        row_number = index + 2  # the header is row 1
        if "__extra__" in raw:
            problems.append(
                FieldProblem(
                    "row", "csv.column_count", "has more cells than the header", row=row_number
                )
            )
            continue
        try:
            valid.append((row_number, schema.model_validate(build(raw))))
        except ValidationError as exc:
            for error in exc.errors():
                field = ".".join(
                    str(p) if not isinstance(p, int) else f"[{p}]" for p in error["loc"]
                )
                problems.append(
                    FieldProblem(
                        _column_of(field.replace(".[", "["), mapping),
                        str(error["type"]),
                        str(error["msg"]),
                        row=row_number,
                    )
                )
        except _RowProblem as exc:
            problems.append(FieldProblem(exc.column, exc.rule, exc.message, row=row_number))
    return valid, problems


class _RowProblem(Exception):
    """A row that cannot even be built (e.g. it names an unknown party)."""

    def __init__(self, column: str, rule: str, message: str) -> None:
        super().__init__(message)
        self.column, self.rule, self.message = column, rule, message


def _resolve(parties: Mapping[str, int], column: str, number: str) -> int:
    if number not in parties:
        raise _RowProblem(column, "party.exists", f"no party has registration number {number!r}")
    return parties[number]


def _finish(
    valid: Sequence[tuple[int, Any]],
    problems: list[FieldProblem],
    later: list[FieldProblem],
    mapping: Mapping[str, str],
) -> None:
    """Merge position-named problems from the service into row-named ones, then raise if any."""
    for problem in later:
        match = re.match(r"\[(\d+)\]\.?(.*)", problem.field)
        position, rest = (int(match.group(1)), match.group(2)) if match else (0, problem.field)
        problems.append(
            FieldProblem(
                _column_of(rest, mapping), problem.rule, problem.message, row=valid[position][0]
            )
        )
    if problems:
        problems.sort(key=lambda p: (p.row or 0, p.field))
        rows = len({p.row for p in problems})
        raise ValidationFailed(
            f"{rows} row(s) are not valid; nothing was imported", problems=problems
        )


class _Registered(Protocol):
    @property
    def id(self) -> int: ...


def _register_all_or_none(
    rows: Sequence[dict[str, str]],
    *,
    build: Callable[[dict[str, str]], dict[str, Any]],
    schema: type[SchemaT],
    mapping: Mapping[str, str],
    authorize: Callable[[SchemaT], None] | None,
    problems_of: Callable[[list[SchemaT]], list[FieldProblem]],
    register: Callable[[list[SchemaT]], Sequence[_Registered]],
) -> ImportResult:
    """Validate every row, let ``authorize`` refuse the whole import, then register all or none."""
    valid, problems = _validate_rows(rows, build=build, schema=schema, mapping=mapping)
    subjects = [subject for _, subject in valid]
    if authorize is not None:
        for subject in subjects:
            authorize(subject)
    _finish(valid, problems, problems_of(subjects), mapping)
    registered = register(subjects)
    return ImportResult(imported=len(registered), ids=[r.id for r in registered])


def import_persons(
    session: Session,
    text: str,
    *,
    actor: Actor,
    authorize: Callable[[PersonCreate], None] | None = None,
) -> ImportResult:
    """Validate every row, then register all persons in the caller's transaction, or none.

    ``authorize`` sees each valid row first and raises to refuse the whole import.
    """
    rows = _read(text, PERSON_COLUMNS)
    parties = repository.party_ids_by_registration(
        session, {r["affiliation_party"] for r in rows if r.get("affiliation_party")}
    )

    def build(raw: dict[str, str]) -> dict[str, Any]:
        document = {
            "kind": raw.get("document_kind"),
            "number": raw.get("document_number"),
            "issuing_country": raw.get("document_issuing_country"),
            "expiry_date": raw.get("document_expiry_date") or None,
            "mrz_line1": raw.get("mrz_line1") or None,
            "mrz_line2": raw.get("mrz_line2") or None,
        }
        affiliations = []
        if raw.get("affiliation_party") or raw.get("affiliation_role"):
            party_id = _resolve(parties, "affiliation_party", raw.get("affiliation_party", ""))
            affiliations.append({"party_id": party_id, "role": raw.get("affiliation_role") or ""})
        return {
            "family_name": raw.get("family_name"),
            "given_name": raw.get("given_name"),
            "name_zh": raw.get("name_zh") or None,
            "birth_date": raw.get("birth_date"),
            "residency": raw.get("residency"),
            "nationality": raw.get("nationality"),
            "documents": [document],
            "affiliations": affiliations,
        }

    return _register_all_or_none(
        rows,
        build=build,
        schema=PersonCreate,
        mapping=_PERSON_FIELD_TO_COLUMN,
        authorize=authorize,
        problems_of=lambda people: registry_parties.person_problems(session, people),
        register=lambda people: registry_parties.create_persons(session, people, actor=actor),
    )


def import_vehicles(
    session: Session,
    text: str,
    *,
    profile: ZoneProfile,
    actor: Actor,
    authorize: Callable[[VehicleCreate], None] | None = None,
) -> ImportResult:
    """Validate every row, then register all vehicles in the caller's transaction, or none.

    ``authorize`` sees each valid row first and raises to refuse the whole import.
    """
    rows = _read(text, VEHICLE_COLUMNS)
    parties = repository.party_ids_by_registration(
        session, {r["owner_party"] for r in rows if r.get("owner_party")}
    )
    permit_columns = (
        "permit_number",
        "permit_crossing_points",
        "permit_valid_from",
        "permit_valid_until",
    )

    def build(raw: dict[str, str]) -> dict[str, Any]:
        permits = []
        if any(raw.get(c) for c in permit_columns):
            permits.append(
                {
                    "number": raw.get("permit_number"),
                    "crossing_points": [
                        c.strip()
                        for c in (raw.get("permit_crossing_points") or "").split(";")
                        if c.strip()
                    ],
                    "valid_from": raw.get("permit_valid_from"),
                    "valid_until": raw.get("permit_valid_until"),
                }
            )
        return {
            "plate": raw.get("plate"),
            "plate_region": raw.get("plate_region"),
            "hk_plate": raw.get("hk_plate") or None,
            "kind": raw.get("kind"),
            "owner_party_id": _resolve(parties, "owner_party", raw.get("owner_party", "")),
            "permits": permits,
        }

    return _register_all_or_none(
        rows,
        build=build,
        schema=VehicleCreate,
        mapping=_VEHICLE_FIELD_TO_COLUMN,
        authorize=authorize,
        problems_of=lambda vehicles: registry_parties.vehicle_problems(
            session, vehicles, profile=profile
        ),
        register=lambda vehicles: registry_parties.create_vehicles(
            session, vehicles, profile=profile, actor=actor
        ),
    )
