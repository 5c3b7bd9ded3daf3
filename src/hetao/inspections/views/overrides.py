"""Overrides of decisions on pages: propose one with a reason; a second officer confirms or
rejects an overturned REFUSE from the "waiting for me" list.

The services are the API's (``overrides``); an officer acts only on the line of the decision.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import Request, Response
from sqlalchemy.orm import Session

from hetao.api.deps import SessionDep
from hetao.auth.principal import Principal
from hetao.crossing.models import CrossingDecision
from hetao.engine.facts import Outcome
from hetao.inputs import Id
from hetao.inspections import access, overrides, repository, service
from hetao.inspections.models import OverrideStatus
from hetao.inspections.schemas import NoteIn, OverrideIn, ReasonIn
from hetao.inspections.views.goods import subject_names
from hetao.inspections.views.queue import Officer, lines_of, point_name
from hetao.reasons import stored_reasons
from hetao.web import page_router
from hetao.web.forms import FormState, attempt, choices, parse
from hetao.web.rendering import redirect, render

router = page_router()
#: Proposals a list shows: far more than a shift leaves waiting.
LIST_SIZE = 200
OVERRIDE_FIELDS = {
    "to_outcome": "inspections.field.to_outcome",
    "reason": "inspections.field.reason",
}
NOTE_FIELDS = {"note": "inspections.field.note"}


def _decision(session: Session, decision_id: int, principal: Principal) -> CrossingDecision:
    decision = service.get_decision(session, decision_id)
    access.check_line(principal, decision.event.line, f"decision {decision.id}")
    return decision


@router.get("/port/decisions/{decision_id}/override")
def override_form(
    request: Request, decision_id: Id, session: SessionDep, principal: Officer
) -> Response:
    """The decision, its overrides so far, and the form to override it with a reason."""
    return _override_page(request, session, _decision(session, decision_id, principal))


def _override_page(
    request: Request,
    session: Session,
    decision: CrossingDecision,
    *,
    form: FormState | None = None,
    status_code: int = 200,
) -> Response:
    effective = service.effective_outcome(session, decision.id)
    history = repository.overrides_of(session, decision.id)
    people = {o.proposed_by for o in history} | {o.decided_by for o in history if o.decided_by}
    return render(
        request,
        "inspections/override.html",
        status_code=status_code,
        decision=decision,
        event=decision.event,
        point_name=point_name(request, decision.crossing_point),
        subject=subject_names(session, [decision.event]).get(decision.event_id, ""),
        reasons=stored_reasons(decision.reasons),
        effective=effective,
        history=history,
        pending=any(o.status is OverrideStatus.PROPOSED for o in history),
        officers=repository.user_names(session, people),
        outcomes=choices("inspections.outcome", [o for o in Outcome if o is not effective]),
        needs_second=effective is Outcome.REFUSE,
        form=form or FormState(fields=OVERRIDE_FIELDS),
    )


@router.post("/port/decisions/{decision_id}/override")
async def propose_override(
    request: Request, decision_id: Id, session: SessionDep, principal: Officer
) -> Response:
    """In force at once, unless it overturns a REFUSE: then it waits for a second officer."""
    decision = _decision(session, decision_id, principal)
    data, form = parse(OverrideIn, await request.form(), OVERRIDE_FIELDS)
    if data is not None and attempt(
        session,
        form,
        lambda: overrides.propose_override(
            session, decision.id, to_outcome=data.to_outcome, reason=data.reason, officer=principal
        ),
    ):
        return redirect(request, f"/port/decisions/{decision.id}/override")
    session.rollback()
    decision = _decision(session, decision_id, principal)
    return _override_page(request, session, decision, form=form, status_code=422)


# --- waiting for me ---------------------------------------------------------------------------


@router.get("/port/overrides")
def override_list(request: Request, session: SessionDep, principal: Officer) -> Response:
    """Proposals by others that I may confirm or reject, and my own still waiting."""
    return _list_page(request, session, principal)


def _list_page(
    request: Request,
    session: Session,
    principal: Principal,
    *,
    forms: Mapping[str, FormState] | None = None,
    status_code: int = 200,
) -> Response:
    waiting = repository.proposed_overrides(session, lines=lines_of(principal), limit=LIST_SIZE)
    names = subject_names(session, [event for _, event in waiting])
    rows: list[dict[str, Any]] = [
        {
            "override": override,
            "event": event,
            "subject": names.get(event.id, ""),
            "point": point_name(request, event.crossing_point),
        }
        for override, event in waiting
    ]
    adjustments = [
        proposal
        for proposal in repository.proposed_adjustments(
            session, lines=lines_of(principal), limit=LIST_SIZE
        )
        if proposal.proposed_by != principal.id
    ]
    shown = dict(forms or {})
    for row in rows:
        shown.setdefault(f"override-{row['override'].id}", FormState(fields=NOTE_FIELDS))
    return render(
        request,
        "inspections/overrides.html",
        status_code=status_code,
        for_me=[r for r in rows if r["override"].proposed_by != principal.id],
        mine=[r for r in rows if r["override"].proposed_by == principal.id],
        adjustments=adjustments,
        officers=repository.user_names(
            session,
            {r["override"].proposed_by for r in rows} | {p.proposed_by for p in adjustments},
        ),
        forms=shown,
    )


def _decide_override(verb: str) -> Any:
    async def decide(
        request: Request, override_id: Id, session: SessionDep, principal: Officer
    ) -> Response:
        override = service.get_override(session, override_id)
        schema: type[NoteIn | ReasonIn] = NoteIn if verb == "confirm" else ReasonIn
        data, form = parse(schema, await request.form(), NOTE_FIELDS)
        if data is not None and attempt(
            session,
            form,
            lambda: (
                overrides.confirm_override(session, override, officer=principal, note=data.note)
                if verb == "confirm"
                else overrides.reject_override(
                    session, override, officer=principal, note=data.note or ""
                )
            ),
        ):
            return redirect(request, "/port/overrides")
        session.rollback()
        return _list_page(
            request, session, principal, forms={f"override-{override_id}": form}, status_code=422
        )

    decide.__name__ = f"{verb}_override"
    decide.__doc__ = f"A second, different officer's {verb} of an override awaiting them."
    return decide


for _verb in ("confirm", "reject"):
    router.post(f"/port/overrides/{{override_id}}/{_verb}")(_decide_override(_verb))
