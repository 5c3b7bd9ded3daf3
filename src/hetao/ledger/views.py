"""The e-ledger pages: lots with balances, a lot's movements and holds, supervision ending, the
statement for a period, and a stocktake to reconcile. They call the API's reports and rules.

An enterprise user sees its own party only (another party's lot answers 404); staff choose a
party for the statement and the reconciliation.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from enum import StrEnum
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from hetao.api.deps import CursorQuery, ProfileDep, RatesDep, SessionDep, TariffDep
from hetao.api.security import Allow
from hetao.auth.principal import Principal
from hetao.errors import FieldProblem, HetaoError, PermissionDenied
from hetao.inputs import Id
from hetao.ledger import access, reports
from hetao.ledger import repository as ledger_repo
from hetao.ledger.models import CustomsStatus
from hetao.ledger.schemas import StocktakeIn
from hetao.registry.access import party_scope
from hetao.registry.models import Party
from hetao.storage import lookup
from hetao.timeutil import zone_today
from hetao.web import page_router
from hetao.web.forms import (
    FORM_FIELD,
    FormState,
    choices,
    parse,
    problem_text,
    pydantic_text,
    typed,
)
from hetao.web.i18n import has_text, t
from hetao.web.rendering import render

router = page_router()
Member = TypeVar("Member", bound=StrEnum)
Readers = Annotated[Principal, Depends(Allow(*access.READERS))]
PAGE_SIZE = 50
#: A stocktake file is small: a row per lot, a few thousand lots at most.
STOCKTAKE_MAX_BYTES = 1_000_000
STATEMENT_COLUMNS = (
    "lot_id",
    "hs_code",
    "description",
    "unit",
    "customs_status",
    "admission_ref",
    "opening",
    "receipts",
    "removals",
    "adjustments",
    "closing",
    "balance_at_end",
    "balanced",
)


def chosen_member(enum: type[Member], value: str | None) -> Member | None:
    """A list filter's choice; an unknown one filters nothing (a stale link is no error)."""
    try:
        return enum(value) if value else None
    except ValueError:
        return None


def attachment(name: str) -> dict[str, str]:
    """The headers that make a response a file to save."""
    return {"Content-Disposition": f'attachment; filename="{name}"'}


def csv_file(name: str, columns: Sequence[str], rows: Iterable[object]) -> Response:
    """``rows`` (objects with the ``columns`` as attributes) as a CSV file to save."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(getattr(row, column)) for column in columns])
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers=attachment(name))


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    # A spreadsheet runs a cell starting with = + @ as a formula: quote it as text (a leading
    # - stays: negative quantities are numbers here).
    return f"'{text}" if text[:1] in ("=", "+", "@") else text


def _party_of(principal: Principal, party_id: int | None) -> int | None:
    """The party a report is about: an enterprise user's own (another's answers 404), else the
    one a staff member chose (None: not chosen yet)."""
    if party_scope(principal) is None:
        return party_id
    return access.check_party_id(principal, party_id or party_scope(principal) or 0)


@router.get("/portal/ledger")
def lots(
    request: Request,
    session: SessionDep,
    principal: Readers,
    status: Annotated[str | None, Query(max_length=40)] = None,
    party_id: Id | None = None,
    cursor: CursorQuery = None,
) -> Response:
    """Lots with their balances and reservations, by customs status."""
    chosen = chosen_member(CustomsStatus, status)
    page = ledger_repo.page_lots(
        session,
        party_id=access.scoped(principal, party_id),
        status=chosen,
        cursor=cursor,
        limit=PAGE_SIZE,
    )
    more = {"cursor": page.next_cursor} if page.next_cursor else None
    if more and chosen:
        more["status"] = chosen.value
    return render(
        request,
        "ledger/lots.html",
        lots=page.items,
        status=chosen.value if chosen else "",
        statuses=choices("ledger.customs_status", CustomsStatus),
        party_id=party_id,
        staff=party_scope(principal) is None,
        more=more,
    )


@router.get("/portal/ledger/lots/{lot_id}")
def lot(
    request: Request,
    lot_id: Id,
    session: SessionDep,
    principal: Readers,
    cursor: CursorQuery = None,
) -> Response:
    """A lot, its movements (oldest first, paged) and its holds."""
    found = access.check_lot(principal, ledger_repo.get_lot(session, lot_id))
    movements = ledger_repo.page_movements(session, found.id, cursor=cursor, limit=PAGE_SIZE)
    return render(
        request,
        "ledger/lot.html",
        lot=found,
        movements=movements.items,
        more=movements.next_cursor,
        holds=ledger_repo.holds_of(session, found.id),
    )


@router.get("/portal/ledger/supervision")
def supervision(
    request: Request,
    session: SessionDep,
    profile: ProfileDep,
    principal: Readers,
    days: Annotated[int, Query(ge=0, le=reports.MAX_REPORT_DAYS)] = 90,
    party_id: Id | None = None,
) -> Response:
    """Lots still holding goods whose supervision period ends within ``days`` days (R5)."""
    rows = reports.supervision_ending(
        session,
        today=zone_today(profile.zone.timezone),
        days=days,
        party_id=access.scoped(principal, party_id),
    )
    return render(
        request,
        "ledger/supervision.html",
        rows=rows,
        days=days,
        party_id=party_id,
        staff=party_scope(principal) is None,
    )


# --- the statement ----------------------------------------------------------------------------


class PeriodForm(BaseModel):
    """The period of a statement, as the API's ``from`` and ``to``."""

    model_config = ConfigDict(populate_by_name=True)

    period_from: dt.date = Field(alias="from")
    period_to: dt.date = Field(alias="to")
    party_id: Id | None = None


PERIOD_FIELDS = {
    "from": "ledger.field.from",
    "to": "ledger.field.to",
    "party_id": "ledger.field.party",
}


def _statement(
    session: SessionDep, profile: ProfileDep, principal: Principal, query: dict[str, str]
) -> tuple[reports.Statement | None, FormState]:
    """The statement the query asks for, or the form's errors (none before it is filled)."""
    if not any(query.get(name) for name in ("from", "to")):
        return None, FormState(fields=PERIOD_FIELDS, values=typed(query, PERIOD_FIELDS))
    period, state = parse(PeriodForm, query, PERIOD_FIELDS)
    if period is None:
        return None, state
    party_id = _party_of(principal, period.party_id)
    if party_id is None:
        state.add("party_id", t("form.error.missing"))
        return None, state
    try:
        party = lookup.get(session, Party, party_id)
        report = reports.statement(
            session,
            party.id,
            period_from=period.period_from,
            period_to=period.period_to,
            timezone=profile.zone.timezone,
        )
    except PermissionDenied:
        raise
    except HetaoError as error:
        state.add_error(error)
        return None, state
    return report, state


def _statement_page(
    request: Request, principal: Principal, state: FormState, **context: Any
) -> Response:
    return render(
        request,
        "ledger/statement.html",
        status_code=200 if state.ok else 422,
        form=state,
        staff=party_scope(principal) is None,
        **context,
    )


@router.get("/portal/ledger/statement")
def statement(
    request: Request, session: SessionDep, profile: ProfileDep, principal: Readers
) -> Response:
    """The e-ledger statement for a period: per lot, opening to closing (19 CFR 146.23)."""
    query = dict(request.query_params)
    report, state = _statement(session, profile, principal, query)
    download = None
    if report is not None:
        download = {k: v for k, v in query.items() if k in PERIOD_FIELDS and v}
    return _statement_page(request, principal, state, report=report, download=download)


@router.get("/portal/ledger/statement.csv")
def statement_csv(
    request: Request, session: SessionDep, profile: ProfileDep, principal: Readers
) -> Response:
    """The same statement as a CSV file."""
    report, state = _statement(session, profile, principal, dict(request.query_params))
    if report is None:
        return _statement_page(request, principal, state, report=None, download=None)
    name = f"statement-{report.party_id}-{report.period_from}-{report.period_to}.csv"
    return csv_file(name, STATEMENT_COLUMNS, report.lots)


# --- the stocktake ----------------------------------------------------------------------------

STOCKTAKE_FIELDS = {
    "file": "ledger.field.file",
    "counted_on": "ledger.field.counted_on",
    "party_id": "ledger.field.party",
}


def _stocktake_form(
    request: Request,
    principal: Principal,
    state: FormState,
    *,
    result: reports.Reconciliation | None = None,
    status: int = 200,
) -> Response:
    return render(
        request,
        "ledger/reconciliation.html",
        status_code=status,
        form=state,
        result=result,
        staff=party_scope(principal) is None,
    )


@router.get("/portal/ledger/reconciliation")
def reconciliation_form(request: Request, principal: Readers) -> Response:
    """The form to upload a stocktake (CSV: lot_id,counted)."""
    return _stocktake_form(request, principal, FormState(fields=STOCKTAKE_FIELDS))


def read_counts(text: str, state: FormState) -> list[dict[str, str]]:
    """The rows of a stocktake file (``lot_id,counted``); a malformed file is the form's error."""
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None or not {"lot_id", "counted"} <= set(reader.fieldnames):
        state.add("file", t("ledger.reconciliation.bad_header"))
        return []
    return [
        {"lot_id": (row.get("lot_id") or "").strip(), "counted": (row.get("counted") or "").strip()}
        for row in reader
        if any((value or "").strip() for value in row.values() if isinstance(value, str))
    ]


@router.post("/portal/ledger/reconciliation")
async def reconcile(
    request: Request,
    session: SessionDep,
    profile: ProfileDep,
    tariff: TariffDep,
    rates: RatesDep,
    principal: Readers,
) -> Response:
    """Reconcile the uploaded count with the ledger; writes nothing, shows the result table."""
    form = await request.form()
    upload = form.get("file")
    text = None
    if isinstance(upload, UploadFile):
        raw = await upload.read(STOCKTAKE_MAX_BYTES + 1)
        text = raw.decode("utf-8-sig", errors="replace") if len(raw) <= STOCKTAKE_MAX_BYTES else ""
    return await run_in_threadpool(
        _reconcile, request, session, profile, tariff, rates, principal, form, text
    )


def _reconcile(
    request: Request,
    session: SessionDep,
    profile: ProfileDep,
    tariff: TariffDep,
    rates: RatesDep,
    principal: Principal,
    form: FormData,
    text: str | None,
) -> Response:
    state = FormState(fields=STOCKTAKE_FIELDS, values=typed(form, STOCKTAKE_FIELDS))
    if not text:
        state.add("file", t("form.error.file"))
        return _stocktake_form(request, principal, state, status=422)
    counts = read_counts(text, state)
    raw: dict[str, object] = {"counts": counts}
    if (counted_on := str(form.get("counted_on") or "").strip()) != "":
        raw["counted_on"] = counted_on
    try:
        stocktake = StocktakeIn.model_validate(raw)
    except ValidationError as invalid:
        for error in invalid.errors():
            loc = error["loc"]
            if loc[:1] == ("counts",) and len(loc) >= 2 and isinstance(loc[1], int):
                message = t("ledger.reconciliation.row_error", row=loc[1] + 2)
                state.add("file", f"{message} {pydantic_text(error)}")
            else:
                state.add(
                    str(loc[0]) if loc[:1] == ("counted_on",) else "file", pydantic_text(error)
                )
    if not state.ok:
        return _stocktake_form(request, principal, state, status=422)
    chosen = str(form.get("party_id") or "").strip()
    party_id = _party_of(principal, int(chosen) if chosen.isdigit() else None)
    if party_id is None:
        state.add("party_id", t("form.error.missing"))
        return _stocktake_form(request, principal, state, status=422)
    try:
        result = reports.reconcile(
            session,
            lookup.get(session, Party, party_id),
            [(c.lot_id, c.counted) for c in stocktake.counts],
            counted_on=stocktake.counted_on or zone_today(profile.zone.timezone),
            profile=profile,
            tariff=tariff,
            rates=rates,
        )
    except PermissionDenied:
        raise
    except HetaoError as error:
        _row_problems(state, error)
        return _stocktake_form(request, principal, state, status=422)
    return _stocktake_form(request, principal, state, result=result)


def _row_problems(state: FormState, error: HetaoError) -> None:
    """A refusal of a row (``counts[3].lot_id``) as the file's error, naming the row."""
    if not error.problems:
        state.add_error(error)
        return
    for problem in error.problems:
        if problem.field.startswith("counts["):
            index = int(problem.field[len("counts[") :].split("]", 1)[0])
            message = t("ledger.reconciliation.row_error", row=index + 2)
            state.add("file", f"{message} {problem_words(problem)}")
        else:
            state.add(FORM_FIELD, problem_words(problem))


def problem_words(problem: FieldProblem) -> str:
    """This area's words for a rule where it has them, else the general form's."""
    key = f"ledger.problem.{problem.rule}"
    return t(key) if has_text(key) else problem_text(problem)
