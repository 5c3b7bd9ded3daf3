"""Reference tables: the versions in force, and a new version uploaded as CSV, validated, kept.

The same importer as the packaged files checks an upload; its problems are shown by the file's
line and column. A version is kept beside the older ones and in force from the day given.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request, Response
from starlette.datastructures import UploadFile

from hetao.admin.views.common import ADMINISTRATORS, Administrator, DoneQuery, done_text
from hetao.api.deps import ProfileDep, SessionDep
from hetao.api.idempotency import NOT_REPLAYABLE
from hetao.errors import HetaoError, ValidationFailed
from hetao.inputs import InputModel
from hetao.profiles import ZoneProfile
from hetao.reference_versions import service as reference_versions
from hetao.reference_versions.models import TableKind
from hetao.timeutil import zone_today
from hetao.web.forms import FormState, parse, refuse
from hetao.web.i18n import has_text, t
from hetao.web.rendering import redirect, render
from hetao.web.routing import PageRoute

router = APIRouter(route_class=PageRoute)
UPLOAD_FIELDS = {
    "kind": "admin.reference.kind",
    "file": "admin.reference.file",
    "effective_from": "admin.reference.effective_from",
}


class ReferenceUpload(InputModel):
    kind: TableKind
    effective_from: dt.date


@dataclass(frozen=True, slots=True)
class CellProblem:
    """A problem of an uploaded table, at its line and column of the file."""

    row: int | None
    column: str
    rule: str
    text: str


def cell_problems(error: ValidationFailed) -> list[CellProblem]:
    """The importer's problems in the page's language where known, else its words."""
    found = []
    for problem in error.problems:
        key = f"admin.reference.problem.{problem.rule}"
        text = t(key) if has_text(key) else problem.message
        found.append(CellProblem(problem.row, problem.field, problem.rule, text))
    return found


@router.get("/admin/reference", dependencies=[ADMINISTRATORS])
def reference_page(
    request: Request, session: SessionDep, profile: ProfileDep, done: DoneQuery = None
) -> Response:
    """Each table's version in force today, its stored versions, and the upload form."""
    return _page(request, session, profile, FormState(fields=UPLOAD_FIELDS), notice=done_text(done))


def _page(
    request: Request,
    session: SessionDep,
    profile: ZoneProfile,
    form: FormState,
    *,
    problems: list[CellProblem] | None = None,
    notice: str | None = None,
    status_code: int = 200,
) -> Response:
    today = zone_today(profile.zone.timezone)
    tables: list[dict[str, Any]] = []
    for kind in TableKind:
        in_force = reference_versions.table_in_force(session, kind, on=today)
        stored = reference_versions.versions(session, kind)
        tables.append(
            {
                "kind": kind.value,
                "in_force": in_force,
                "uploaded": reference_versions.version_in_force(session, kind, on=today),
                "versions": stored,
            }
        )
    return render(
        request,
        "admin/reference.html",
        status_code=status_code,
        tables=tables,
        today=today,
        form=form,
        kinds=[(kind.value, t(f"admin.reference.kind.{kind.value}")) for kind in TableKind],
        problems=problems or [],
        notice=notice,
    )


@router.post("/admin/reference", openapi_extra=NOT_REPLAYABLE)
async def upload(
    request: Request, session: SessionDep, profile: ProfileDep, admin: Administrator
) -> Response:
    """Validate the uploaded CSV and keep it as a new version from the day given."""
    data = await request.form()
    body, form = parse(ReferenceUpload, data, UPLOAD_FIELDS)
    upload = data.get("file")
    text: str | None = None
    if not isinstance(upload, UploadFile) or not upload.filename:
        form.add("file", t("admin.reference.file_missing"))
    else:
        try:
            text = (await upload.read()).decode("utf-8-sig")
        except UnicodeDecodeError:
            form.add("file", t("admin.reference.not_utf8"))
    if body is None or text is None:
        return _page(request, session, profile, form, status_code=422)
    try:
        reference_versions.add_version(
            session,
            body.kind,
            text,
            effective_from=body.effective_from,
            actor=admin.actor,
            source=str(getattr(upload, "filename", None) or "upload"),
        )
    except ValidationFailed as invalid:
        session.rollback()
        form.add("file", t("admin.reference.refused", count=len(invalid.problems)))
        return _page(
            request, session, profile, form, problems=cell_problems(invalid), status_code=422
        )
    except HetaoError as error:
        return _page(request, session, profile, refuse(session, form, error), status_code=422)
    return redirect(request, f"/admin/reference?done=reference_added#table-{body.kind.value}")
