"""Risk rule sets: the stored ones, and a candidate checked, back-tested and then activated.

A candidate travels from page to page in a hidden field (its JSON text), so each step works
without JavaScript and nothing is stored before the administrator activates it. Every step
validates it again with the same loader as `hetao rules check`.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request, Response
from pydantic import AwareDatetime
from starlette.datastructures import FormData, UploadFile

from hetao.admin.views.common import (
    ADMINISTRATORS,
    Administrator,
    DoneQuery,
    done_text,
    in_utc,
)
from hetao.api.deps import CursorQuery, ProfileDep, SessionDep
from hetao.api.idempotency import NOT_REPLAYABLE
from hetao.crossing import rule_sets
from hetao.crossing.backtest import backtest
from hetao.engine.rules import RuleSet, load_rule_set
from hetao.errors import HetaoError, ValidationFailed
from hetao.inputs import InputModel
from hetao.profiles import ZoneProfile
from hetao.storage.types import utcnow
from hetao.web.forms import FormState, parse, refuse
from hetao.web.i18n import has_text, localized, t
from hetao.web.rendering import redirect, render
from hetao.web.routing import PageRoute

router = APIRouter(route_class=PageRoute)
PAGE_SIZE = 50
DOCUMENT = "document"
UPLOAD_FIELDS = {"file": "admin.rules.file"}
BACKTEST_FIELDS = {"since": "admin.rules.since"}
ACTIVATE_FIELDS = {"activates_at": "admin.rules.activates_at"}
# A loader's field path: tables[name or number], then rows[number], then the column (or key).
_WHERE = re.compile(r"^tables\[([^\]]+)\](?:\.rows\[(\d+)\])?(?:\.(.+))?$")


class Backtest(InputModel):
    since: dt.date


class Activation(InputModel):
    activates_at: AwareDatetime


@dataclass(frozen=True, slots=True)
class Problem:
    """A checker's finding, where a rule set's author looks for it."""

    table: str | None
    row: int | None
    column: str | None
    rule: str
    text: str


def problems_of(error: ValidationFailed) -> list[Problem]:
    """The checker's problems by table, row and column, in the page's language where known."""
    found = []
    for problem in error.problems:
        where = _WHERE.match(problem.field)
        table, row, column = where.groups() if where else (None, None, problem.field)
        key = f"admin.rules.problem.{problem.rule}"
        text = t(key) if has_text(key) else problem.message
        found.append(Problem(table, int(row) if row else None, column, problem.rule, text))
    return found


@router.get("/admin/rule-sets", dependencies=[ADMINISTRATORS])
def rule_set_list(
    request: Request,
    session: SessionDep,
    profile: ProfileDep,
    cursor: CursorQuery = None,
    done: DoneQuery = None,
) -> Response:
    """The stored rule sets with their activation times, and the form to upload a candidate."""
    return _list(
        request, session, profile, FormState(fields=UPLOAD_FIELDS), cursor=cursor, done=done
    )


def _list(
    request: Request,
    session: SessionDep,
    profile: ZoneProfile,
    form: FormState,
    *,
    cursor: str | None = None,
    done: str | None = None,
    status_code: int = 200,
) -> Response:
    page = rule_sets.page_rule_sets(session, cursor=cursor, limit=PAGE_SIZE)
    in_force = rule_sets.rule_set_in_force(session, at=utcnow(), profile=profile)
    return render(
        request,
        "admin/rule_sets.html",
        status_code=status_code,
        page=page,
        paged=cursor is not None,
        in_force=in_force.version if in_force else None,
        now=utcnow(),
        form=form,
        notice=done_text(done),
    )


@router.post("/admin/rule-sets/check", openapi_extra=NOT_REPLAYABLE)
async def check(
    request: Request, session: SessionDep, profile: ProfileDep, _: Administrator
) -> Response:
    """Check an uploaded rule set (JSON): its problems by table, row and column, or its summary."""
    data = await request.form()
    upload = data.get("file")
    form = FormState(fields=UPLOAD_FIELDS)
    if not isinstance(upload, UploadFile) or not upload.filename:
        form.add("file", t("admin.rules.file_missing"))
        return _list(request, session, profile, form, status_code=422)
    raw = await upload.read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        form.add("file", t("admin.rules.not_utf8"))
        return _list(request, session, profile, form, status_code=422)
    return _candidate(request, profile, text, filename=upload.filename)


def _candidate(
    request: Request,
    profile: ZoneProfile,
    text: str,
    *,
    filename: str | None = None,
    report: dict[str, Any] | None = None,
    backtest_form: FormState | None = None,
    activate_form: FormState | None = None,
    failed: bool = False,
) -> Response:
    """The candidate's page: its problems, or its summary with the back-test and activate forms."""
    try:
        rule_set = _load(text, profile)
    except ValidationFailed as refused:
        return render(
            request,
            "admin/rule_set_candidate.html",
            status_code=422,
            filename=filename,
            problems=problems_of(refused),
            rule_set=None,
            document=None,
            form=FormState(fields=UPLOAD_FIELDS),
        )
    if activate_form is None:
        activate_form = FormState(fields=ACTIVATE_FIELDS)
        activate_form.values["activates_at"] = rule_set.activates_at.strftime("%Y-%m-%dT%H:%M")
    return render(
        request,
        "admin/rule_set_candidate.html",
        status_code=422 if failed else 200,
        filename=filename,
        problems=[],
        rule_set=rule_set,
        rows=sum(len(table.rows) for table in rule_set.tables),
        document=text,
        report=report,
        lane_names={lane.name: localized(lane.label) for lane in profile.selection.lanes},
        backtest_form=backtest_form or FormState(fields=BACKTEST_FIELDS),
        activate_form=activate_form,
    )


def _load(text: str, profile: ZoneProfile) -> RuleSet:
    """The candidate validated as `hetao rules check` does, from its JSON text."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationFailed.single(
            "rules", "json_malformed", f"line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from None
    return load_rule_set(document, profile=profile)


def _document(data: FormData) -> str:
    value = data.get(DOCUMENT)
    return value if isinstance(value, str) else ""


@router.post("/admin/rule-sets/backtest", openapi_extra=NOT_REPLAYABLE)
async def run_backtest(
    request: Request, session: SessionDep, profile: ProfileDep, _: Administrator
) -> Response:
    """Replay the crossings recorded since a day with the candidate; show what would change."""
    data = await request.form()
    text = _document(data)
    body, form = parse(Backtest, data, BACKTEST_FIELDS)
    if body is None:
        return _candidate(request, profile, text, backtest_form=form, failed=True)
    try:
        candidate = _load(text, profile)
    except ValidationFailed:
        return _candidate(request, profile, text)
    zone = ZoneInfo(profile.zone.timezone)
    start = dt.datetime.combine(body.since, dt.time(), tzinfo=zone).astimezone(dt.UTC)
    report = backtest(session, candidate, since=start, profile=profile).to_json()
    form.values["since"] = body.since.isoformat()
    return _candidate(request, profile, text, report=report, backtest_form=form)


@router.post("/admin/rule-sets", openapi_extra=NOT_REPLAYABLE)
async def activate(
    request: Request, session: SessionDep, profile: ProfileDep, admin: Administrator
) -> Response:
    """Store the candidate to decide crossings from the time given (UTC)."""
    data = await request.form()
    text = _document(data)
    when = in_utc(data.get("activates_at"))
    extra = {"activates_at": when} if when else {}
    body, form = parse(Activation, data, ACTIVATE_FIELDS, extra=extra)
    if body is None:
        return _candidate(request, profile, text, activate_form=form, failed=True)
    try:
        document = json.loads(text)
        if not isinstance(document, dict):
            raise ValidationFailed.single("rules", "object_required", "a JSON object")
        document["activates_at"] = body.activates_at.astimezone(dt.UTC).isoformat()
        row, _ = rule_sets.add_rule_set(session, document, profile=profile, actor=admin.actor)
    except json.JSONDecodeError:
        return _candidate(request, profile, text)
    except HetaoError as error:  # the version stored before with other content, say
        refused = refuse(session, form, error)
        return _candidate(request, profile, text, activate_form=refused, failed=True)
    return redirect(request, f"/admin/rule-sets?done=rule_set_added#version-{row.version}")
