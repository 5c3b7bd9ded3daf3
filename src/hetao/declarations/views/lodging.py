"""Lodging a declaration on a page: a form built from the API's create schema, lines in rows.

The party is the signed-in enterprise's own, fixed here; no field carries an exemption, an
approval or a standing (the services look those up). A refused form comes back with every error
beside its field and what was typed kept; nothing is written.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from hetao.api.deps import ProfileDep, SessionDep
from hetao.auth.principal import Principal
from hetao.declarations import service as declarations
from hetao.declarations.schemas import DeclarationCreate
from hetao.declarations.views.common import (
    CLAIMED_STATUSES,
    LODGER,
    Lodgers,
    crossing_point_options,
    customs_status_options,
    goods_kind_options,
    kind_options,
)
from hetao.errors import HetaoError, NotAuthenticated, PermissionDenied
from hetao.ledger.models import CustomsStatus
from hetao.registry.access import party_scope
from hetao.registry.models import Party
from hetao.storage import lookup
from hetao.web.forms import FORM_FIELD, FormState, problem_text, pydantic_text, typed
from hetao.web.i18n import has_text, t
from hetao.web.rendering import redirect, render
from hetao.web.routing import PageRoute

router = APIRouter(route_class=PageRoute)

#: Line rows the form offers; empty rows are ignored (more lines: the API, or a CSV later).
ROWS = 5
HEADER = {
    "reference": "declarations.field.reference",
    "kind": "declarations.field.kind",
    "crossing_point": "declarations.field.crossing_point",
    "declared_on": "declarations.field.declared_on",
    "reason": "declarations.field.reason",
}
LINE = {
    "hs_code": "declarations.field.hs_code",
    "description": "declarations.field.description",
    "quantity": "declarations.field.quantity",
    "unit": "declarations.field.unit",
    "customs_value": "declarations.field.customs_value",
    "currency": "declarations.field.currency",
    "origin": "declarations.field.origin",
    "goods_kind": "declarations.field.goods_kind",
    "customs_status": "declarations.field.customs_status",
    "lot_id": "declarations.field.lot_id",
}
#: Schema fields a line row shows under another name: the status chosen sets ``bonded``.
_SHOWN_AS = {"bonded": "customs_status", "research_own_use": "customs_status"}
_LINE_PATH = re.compile(r"^lines\[(\d+)\]\.(\w+)")


def row_field(row: int, name: str) -> str:
    """The form field of ``name`` in line row ``row`` (1-based): ``lines-2-hs_code``."""
    return f"lines-{row}-{name}"


FIELDS: dict[str, str] = HEADER | {
    row_field(row, name): key for row in range(1, ROWS + 1) for name, key in LINE.items()
}


def _text(data: FormData | Mapping[str, Any], name: str) -> str:
    value = data.get(name)
    return value.strip() if isinstance(value, str) else ""


def _message(code: str, fallback: str) -> str:
    """This area's words for a rule where it has them (an HS code, a country), else the
    general form's."""
    key = f"declarations.problem.{code}"
    return t(key) if has_text(key) else fallback


def _add(state: FormState, name: str, message: str) -> None:
    """An error beside ``name``; a line row's names its row, as the summary lists it."""
    if name.startswith("lines-"):
        message = t("declarations.new.line_error", row=name.split("-")[1], message=message)
    state.add(name, message)


def _line_field(index: int, name: str, rows: list[int]) -> str:
    """The form field of a schema line's field, or the summary when the form has none."""
    name = _SHOWN_AS.get(name, name)
    if index >= len(rows) or name not in LINE:
        return FORM_FIELD
    return row_field(rows[index], name)


def read(
    data: FormData | Mapping[str, Any], *, party_id: int
) -> tuple[DeclarationCreate | None, FormState, list[int]]:
    """The posted form as the API's ``DeclarationCreate``, or the errors beside the fields.

    Returns the model (None if refused), the form's state and the rows that were filled in.
    """
    state = FormState(fields=FIELDS, values=typed(data, FIELDS))
    raw: dict[str, Any] = {name: _text(data, name) for name in HEADER if _text(data, name)}
    rows = [row for row in range(1, ROWS + 1) if any(_text(data, row_field(row, n)) for n in LINE)]
    lines = []
    for row in rows:
        line: dict[str, Any] = {
            name: _text(data, row_field(row, name))
            for name in LINE
            if _text(data, row_field(row, name))
        }
        status = line.pop("customs_status", "")
        if status and status not in CLAIMED_STATUSES:
            _add(state, row_field(row, "customs_status"), t("form.error.choice"))
        line["bonded"] = status == CustomsStatus.BONDED
        lines.append(line)
    if not rows:
        state.add(FORM_FIELD, t("declarations.new.no_lines"))
    raw |= {"party_id": party_id, "lines": lines}
    try:
        model = DeclarationCreate.model_validate(raw)
    except ValidationError as invalid:
        for error in invalid.errors():
            loc = error["loc"]
            if loc[:1] == ("lines",) and len(loc) >= 3 and isinstance(loc[1], int):
                name = _line_field(loc[1], str(loc[2]), rows)
            elif loc[:1] == ("lines",):
                continue  # no rows: said above
            else:
                name = str(loc[0]) if loc else FORM_FIELD
            _add(state, name, _message(str(error["type"]), pydantic_text(error)))
        return None, state, rows
    return (model if state.ok else None), state, rows


def refused(state: FormState, error: HetaoError, rows: list[int]) -> None:
    """A service's refusal beside the fields it names (``lines[0].hs_code`` is row 1's)."""
    if not error.problems:
        state.add_error(error)
        return
    for problem in error.problems:
        found = _LINE_PATH.match(problem.field)
        if found:
            name = _line_field(int(found.group(1)), found.group(2), rows)
        else:
            name = problem.field.split(".", maxsplit=1)[0]
        _add(state, name, _message(problem.rule, problem_text(problem)))


def _form(
    request: Request, profile: ProfileDep, state: FormState, *, status: int = 200
) -> Response:
    return render(
        request,
        "declarations/new.html",
        status_code=status,
        form=state,
        rows=list(range(1, ROWS + 1)),
        row_field=row_field,
        kinds=kind_options(),
        points=crossing_point_options(profile),
        goods_kinds=goods_kind_options(profile),
        statuses=customs_status_options(),
    )


@router.get("/portal/declarations/new", dependencies=[LODGER])
def new_declaration(request: Request, profile: ProfileDep) -> Response:
    """The empty form."""
    return _form(request, profile, FormState(fields=FIELDS))


@router.post("/portal/declarations")
async def lodge(
    request: Request, session: SessionDep, profile: ProfileDep, principal: Lodgers
) -> Response:
    """Lodge for the signed-in enterprise: 303 to the declaration, or the form with errors."""
    form = await request.form()  # already read (and buffered) for its CSRF token
    return await run_in_threadpool(_lodge, request, session, profile, principal, form)


def _lodge(
    request: Request,
    session: SessionDep,
    profile: ProfileDep,
    principal: Principal,
    form: FormData,
) -> Response:
    own = party_scope(principal)
    assert own is not None  # noqa: S101 (Lodgers admits enterprise users, each bound to a party)
    data, state, rows = read(form, party_id=own)
    if data is not None:
        try:
            party = lookup.get(session, Party, own)
            declaration, _ = declarations.submit(
                session, party, data, profile=profile, actor=principal.actor
            )
        except (PermissionDenied, NotAuthenticated):
            raise
        except HetaoError as error:
            session.rollback()  # the route commits whatever is pending: nothing may be
            refused(state, error, rows)
        else:
            return redirect(request, f"/portal/declarations/{declaration.id}")
    return _form(request, profile, state, status=422)
