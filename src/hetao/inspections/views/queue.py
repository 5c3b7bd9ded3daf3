"""The inspection queue of a crossing point, an inspection's page, its result and photos.

The pages call the services the API calls (``service``, ``results``) under the same access
rules (``access``): officers of the inspection's line, administrators on both. A refusal is
rolled back and shown beside the form that caused it, in the page's language.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import Depends, Query, Request, Response
from pydantic import Field, ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData, UploadFile

from hetao.api.bodylimit import BULK_BODY
from hetao.api.deps import ProfileDep, SessionDep
from hetao.api.security import Allow
from hetao.api.state import app_state
from hetao.auth.principal import Principal, Role
from hetao.crossing.schemas import StrictInput
from hetao.errors import NotFound
from hetao.inputs import Id
from hetao.inspections import access, photos, repository, results, service
from hetao.inspections.models import AdjustmentStatus, Inspection, InspectionResult
from hetao.inspections.schemas import AdjustmentIn, Note, NoteIn, ReasonIn, SeizureIn
from hetao.inspections.views.goods import goods_by_decision, goods_of, subject_names
from hetao.profiles import ZoneProfile
from hetao.reasons import stored_reasons
from hetao.web import page_router
from hetao.web.forms import FormState, attempt, choices, parse, pydantic_text
from hetao.web.i18n import localized, t
from hetao.web.rendering import redirect, render

router = page_router()
OFFICERS = Depends(Allow(*access.OFFICERS))
Officer = Annotated[Principal, OFFICERS]
#: How many inspections a point's queue shows: a shift's worth.
QUEUE_SIZE = 100
#: Rows of the result form: filled or left blank, no script needed to add one.
ADJUSTMENT_ROWS = 3
SEIZURE_ROWS = 2

RESULT_FIELDS = {
    name: f"inspections.field.{name}"
    for name in ("result", "findings", "adjustments", "seizures", "held_until", "photos")
}
NOTE_FIELDS = {"note": "inspections.field.note"}


class ResultForm(StrictInput):
    """The result form's own fields; its rows and photos are read apart."""

    result: InspectionResult
    findings: Note | None = None
    held_until: dt.date | None = None
    result_key: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{8,64}$")] | None = None


def lines_of(principal: Principal) -> tuple[str, ...]:
    """The lines whose inspections and overrides an officer works: administrators both."""
    if principal.has(Role.ADMINISTRATOR):
        return ("first", "second")
    return tuple(line for line, role in access.OFFICER_OF_LINE.items() if principal.has(role))


def points_for(profile: ZoneProfile, principal: Principal) -> list[tuple[str, str]]:
    """(code, name) of the crossing points on the officer's lines, as the profile lists them."""
    lines = lines_of(principal)
    return [
        (point.code, localized(point.name))
        for point in profile.crossing_points
        if point.line.value in lines
    ]


def point_name(request: Request, code: str) -> str:
    """A crossing point's name in the page's language, as the zone's profile gives it."""
    for point in app_state(request).profile.crossing_points:
        if point.code == code:
            return localized(point.name)
    return code


# --- the queue --------------------------------------------------------------------------------


@router.get("/port/inspections")
def inspection_queue(
    request: Request,
    session: SessionDep,
    profile: ProfileDep,
    principal: Officer,
    point: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    """A point's queued, assigned and started inspections, oldest first, with their goods."""
    points = points_for(profile, principal)
    codes = [code for code, _ in points]
    if point is not None and point not in codes:
        raise NotFound(f"crossing point {point} is not on your line")
    chosen = point or (codes[0] if codes else None)
    rows = repository.open_at(session, chosen, limit=QUEUE_SIZE) if chosen else []
    return render(
        request,
        "inspections/queue.html",
        points=points,
        point=chosen,
        rows=_queue_rows(session, rows),
        me=principal.id,
    )


def _queue_rows(session: Session, rows: list[Inspection]) -> list[dict[str, Any]]:
    decisions = repository.decisions_by_id(session, {i.decision_id for i in rows})
    names = subject_names(session, [d.event for d in decisions.values()])
    officers = repository.user_names(session, {i.assigned_to for i in rows if i.assigned_to})
    goods = goods_by_decision(session, list(decisions.values()))
    shown = []
    for inspection in rows:
        decision = decisions[inspection.decision_id]
        shown.append(
            {
                "inspection": inspection,
                "decision": decision,
                "subject": names.get(decision.event_id, ""),
                "officer": officers.get(inspection.assigned_to or 0),
                "goods": goods[decision.id],
            }
        )
    return shown


# --- one inspection ---------------------------------------------------------------------------


@router.get("/port/inspections/{inspection_id}")
def inspection_page(
    request: Request, inspection_id: Id, session: SessionDep, principal: Officer
) -> Response:
    """The crossing's facts and reasons, the goods, the result or its form, the second officer."""
    inspection = _inspection(session, inspection_id, principal)
    return _page(request, session, inspection, principal)


def _inspection(session: Session, inspection_id: int, principal: Principal) -> Inspection:
    inspection = service.get_inspection(session, inspection_id)
    access.check_line(principal, inspection.line, f"inspection {inspection.id}")
    return inspection


def _page(
    request: Request,
    session: Session,
    inspection: Inspection,
    principal: Principal,
    *,
    forms: Mapping[str, FormState] | None = None,
    rows: Mapping[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    decision = service.get_decision(session, inspection.decision_id)
    shown = dict(forms or {})
    result_form = shown.setdefault("result", FormState(fields=RESULT_FIELDS))
    result_form.values.setdefault("result_key", uuid.uuid4().hex)
    for proposal in inspection.adjustments:
        shown.setdefault(f"adjustment-{proposal.id}", FormState(fields=NOTE_FIELDS))
    people = {
        inspection.assigned_to,
        inspection.started_by,
        inspection.completed_by,
        *(p.proposed_by for p in inspection.adjustments),
        *(p.decided_by for p in inspection.adjustments),
    }
    goods = goods_of(session, decision)
    return render(
        request,
        "inspections/inspection.html",
        status_code=status_code,
        inspection=inspection,
        decision=decision,
        event=decision.event,
        point_name=point_name(request, inspection.crossing_point),
        subject=subject_names(session, [decision.event]).get(decision.event_id, ""),
        reasons=stored_reasons(decision.reasons),
        goods=goods,
        lots={lot.id: lot for lot in goods.lots},
        officers=repository.user_names(session, {p for p in people if p}),
        photos=repository.photos_of(session, inspection.id),
        effective=service.effective_outcome(session, decision.id),
        forms=shown,
        rows=rows or {},
        adjustment_rows=range(ADJUSTMENT_ROWS),
        seizure_rows=range(SEIZURE_ROWS),
        results=choices("inspections.result", InspectionResult),
        me=principal.id,
        proposed=AdjustmentStatus.PROPOSED,
        max_photos=photos.PHOTOS_MAX,
        max_photo_mb=photos.PHOTO_MAX_BYTES // (1024 * 1024),
    )


@router.post("/port/inspections/{inspection_id}/assign")
async def assign_inspection(
    request: Request, inspection_id: Id, session: SessionDep, principal: Officer
) -> Response:
    """To the officer asking ("me"), or to the least-loaded officer of the line ("workload")."""
    inspection = _inspection(session, inspection_id, principal)
    to_me = (await request.form()).get("officer") == "me"
    form = FormState()
    back = _back(await request.form(), f"/port/inspections/{inspection.id}")
    if attempt(
        session,
        form,
        lambda: service.assign(
            session, inspection, by=principal, officer_id=principal.id if to_me else None
        ),
    ):
        return redirect(request, back)
    return _refused(request, session, inspection_id, principal, "assign", form)


@router.post("/port/inspections/{inspection_id}/start")
async def start_inspection(
    request: Request, inspection_id: Id, session: SessionDep, principal: Officer
) -> Response:
    """The officer begins: assigned -> in progress."""
    inspection = _inspection(session, inspection_id, principal)
    form = FormState()
    if attempt(session, form, lambda: service.start(session, inspection, officer=principal)):
        return redirect(request, f"/port/inspections/{inspection.id}")
    return _refused(request, session, inspection_id, principal, "start", form)


def _back(form: FormData, default: str) -> str:
    """Where to go after a queue's button: back to the queue it was pressed on, else the page."""
    point = form.get("point")
    if isinstance(point, str) and point.replace("_", "").isalnum() and point.isupper():
        return f"/port/inspections?point={point}"
    return default


def _refused(
    request: Request,
    session: Session,
    inspection_id: int,
    principal: Principal,
    name: str,
    form: FormState,
    *,
    rows: Mapping[str, str] | None = None,
) -> Response:
    session.rollback()
    inspection = _inspection(session, inspection_id, principal)
    return _page(
        request, session, inspection, principal, forms={name: form}, rows=rows, status_code=422
    )


@router.post("/port/inspections/{inspection_id}/result", openapi_extra=BULK_BODY)
async def record_result(
    request: Request, inspection_id: Id, session: SessionDep, principal: Officer
) -> Response:
    """Conforms; a discrepancy with adjustments to the inspected lots; a seizure with a hold.

    Photos come as files; the client's ``result_key`` makes a result sent twice recorded once.
    """
    inspection = _inspection(session, inspection_id, principal)
    posted = await request.form()
    data, form = parse(ResultForm, posted, RESULT_FIELDS | {"result_key": "form"})
    rows = {k: v for k, v in posted.items() if isinstance(v, str) and k.startswith(("adj_", "sz_"))}
    adjustments = _rows(posted, form, "adjustments", AdjustmentIn, ADJUSTMENT_ROWS, "adj")
    seizures = _rows(posted, form, "seizures", SeizureIn, SEIZURE_ROWS, "sz")
    uploads = [
        await part.read()
        for part in posted.getlist("photos")
        if isinstance(part, UploadFile) and (part.filename or part.size)
    ]
    checked: list[photos.Photo] = []
    if not attempt(session, form, lambda: checked.extend(photos.photos(uploads))):
        data = None
    if data is not None and form.ok:
        held = (
            dt.datetime.combine(data.held_until, dt.time(), tzinfo=dt.UTC) + dt.timedelta(days=1)
            if data.held_until
            else None
        )
        if attempt(
            session,
            form,
            lambda: results.record_result(
                session,
                inspection,
                officer=principal,
                result=data.result,
                findings=data.findings,
                adjustments=[
                    results.ProposedAdjustment(a.lot_id, a.quantity, a.reason)
                    for a in adjustments
                    if isinstance(a, AdjustmentIn)
                ],
                seizures=[
                    results.SeizedGoods(s.lot_id, s.quantity)
                    for s in seizures
                    if isinstance(s, SeizureIn)
                ],
                held_until=held,
                photos=checked,
                result_key=data.result_key,
            ),
        ):
            return redirect(request, f"/port/inspections/{inspection.id}")
    return _refused(request, session, inspection_id, principal, "result", form, rows=rows)


def _rows(
    posted: FormData,
    form: FormState,
    group: str,
    schema: type[AdjustmentIn] | type[SeizureIn],
    count: int,
    prefix: str,
) -> list[AdjustmentIn | SeizureIn]:
    """The filled rows of a group (lot, quantity and for adjustments a reason); blank rows are
    left out, a row with an error names its number beside the group's field."""
    keys = ("lot_id", "quantity", "reason") if schema is AdjustmentIn else ("lot_id", "quantity")
    filled: list[AdjustmentIn | SeizureIn] = []
    for index in range(count):
        raw = {key: str(posted.get(f"{prefix}_{key}_{index}") or "").strip() for key in keys}
        if not any(raw.values()):
            continue
        try:
            filled.append(schema.model_validate({k: v for k, v in raw.items() if v}))
        except ValidationError as invalid:
            error = invalid.errors()[0]
            field = t(f"inspections.field.{error['loc'][0]}") if error["loc"] else ""
            form.add(
                group,
                t(
                    "inspections.form.row_error",
                    row=index + 1,
                    field=field,
                    message=pydantic_text(error),
                ),
            )
    return filled


# --- the second officer on adjustments --------------------------------------------------------


def _decide_adjustment(verb: str) -> Any:
    async def decide(
        request: Request, adjustment_id: Id, session: SessionDep, principal: Officer
    ) -> Response:
        proposal = service.get_adjustment(session, adjustment_id)
        inspection_id = proposal.inspection_id
        _inspection(session, inspection_id, principal)
        schema: type[NoteIn | ReasonIn] = NoteIn if verb == "approve" else ReasonIn
        data, form = parse(schema, await request.form(), NOTE_FIELDS)
        if data is not None and attempt(
            session,
            form,
            lambda: (
                results.approve_adjustment(session, proposal, officer=principal, note=data.note)
                if verb == "approve"
                else results.reject_adjustment(
                    session, proposal, officer=principal, note=data.note or ""
                )
            ),
        ):
            return redirect(request, f"/port/inspections/{inspection_id}")
        return _refused(
            request, session, inspection_id, principal, f"adjustment-{adjustment_id}", form
        )

    decide.__name__ = f"{verb}_adjustment"
    decide.__doc__ = f"A second officer's {verb} of a proposed adjustment (never its proposer)."
    return decide


for _verb in ("approve", "reject"):
    router.post(f"/port/adjustments/{{adjustment_id}}/{_verb}")(_decide_adjustment(_verb))


# --- photos -----------------------------------------------------------------------------------


@router.get("/port/inspections/{inspection_id}/photos/{photo_id}")
def inspection_photo(
    inspection_id: Id, photo_id: Id, session: SessionDep, principal: Officer
) -> Response:
    """A photo of the result, as the type its bytes showed when it was kept; never sniffed."""
    _inspection(session, inspection_id, principal)
    found = repository.photo_bytes(session, inspection_id, photo_id)
    if found is None:
        raise NotFound(f"inspection {inspection_id} has no photo {photo_id}")
    content_type, data = found
    return Response(
        content=data,
        media_type=content_type,
        headers={"X-Content-Type-Options": "nosniff"},
    )
