"""The officer's console: crossings at a point newest first, live; a page per crossing; the kiosk.

The list is rendered by the server and works without JavaScript (a refresh link); with it,
``static/live.js`` opens the point's event stream and puts each new decision on top. The stream
pushes fragments rendered here, in the officer's language, so a live row reads exactly as a
listed one.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any, Literal

from fastapi import Depends, Header, Path, Query, Request, Response
from fastapi.responses import StreamingResponse
from sqlalchemy.orm import Session

from hetao.api.deps import ProfileDep, SessionDep
from hetao.api.security import Allow
from hetao.audit import repository as audit_repository
from hetao.audit.models import AuditEvent
from hetao.auth.principal import Principal, Role
from hetao.crossing import repository, service
from hetao.crossing.live import Feed, Subscription, feed_of
from hetao.crossing.repository import ConsoleRow
from hetao.crossing.views.present import fragment, kiosk_texts, presenters
from hetao.engine.facts import Outcome, SubjectType
from hetao.errors import HetaoError, NotFound, PermissionDenied, ValidationFailed
from hetao.inputs import Id
from hetao.profiles import CrossingPoint, Line, ZoneProfile
from hetao.web import page_router
from hetao.web.i18n import current_language
from hetao.web.navigation import OFFICERS as OFFICER_ROLES
from hetao.web.rendering import render

router = page_router()
OFFICERS = Depends(Allow(*OFFICER_ROLES))
Officer = Annotated[Principal, OFFICERS]
PAGE_SIZE = 50
#: Events in a crossing's audit trail (a crossing has a handful; more are in the audit log).
TRAIL_LIMIT = 100
#: Decisions a reconnecting stream is sent again at most (newest first, then in order).
BACKLOG_LIMIT = 200
#: A comment line this often keeps proxies and the browser from closing a quiet stream.
HEARTBEAT_SECONDS = 15.0
#: A stream ends after this and the browser reconnects from its last event: a worker asked to
#: stop (hetao.serving gives it 60 s) is not held open by its screens, and each reconnection
#: checks the officer's session again.
STREAM_SECONDS = 50.0
#: How soon the browser reconnects after a stream ends (the SSE ``retry:`` field).
RETRY_MILLISECONDS = 1000
_LINE_OF_ROLE = {Role.FIRST_LINE_OFFICER: Line.FIRST, Role.SECOND_LINE_OFFICER: Line.SECOND}
STREAM_HEADERS = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}


# --- which points an officer sees ----------------------------------------------------------


def points_for(principal: Principal, profile: ZoneProfile) -> list[CrossingPoint]:
    """The points whose crossings ``principal`` sees: their line's, or all for administrators."""
    if principal.has(Role.ADMINISTRATOR):
        return list(profile.crossing_points)
    lines = {line for role, line in _LINE_OF_ROLE.items() if principal.has(role)}
    return [point for point in profile.crossing_points if point.line in lines]


def chosen_point(principal: Principal, profile: ZoneProfile, code: str | None) -> CrossingPoint:
    """The point asked for, or the first of the officer's line; refused if not theirs."""
    allowed = points_for(principal, profile)
    if not code:
        if not allowed:  # pragma: no cover - every line has a point in a valid profile
            raise PermissionDenied("no crossing point is open to this role")
        return allowed[0]
    point = profile.crossing_point(code)
    if point is None:
        raise ValidationFailed.single(
            "point", "crossing.point.unknown", f"{code} is not a crossing point of this zone"
        )
    if point not in allowed:
        raise PermissionDenied(
            f"crossings at {code} are shown to officers of the {point.line} line"
        )
    return point


def _choice(enum: type[Outcome] | type[SubjectType], field: str, value: str | None) -> str | None:
    """A filter's value checked against its choices (empty: no filter)."""
    if not value:
        return None
    if value not in {member.value for member in enum}:
        allowed = ", ".join(member.value for member in enum)
        raise ValidationFailed.single(field, "crossing.filter.choice", f"must be one of {allowed}")
    return value


# Filters come as text: the form's "any" option sends an empty value, which is no filter.
PointQuery = Annotated[str | None, Query(max_length=40)]
FilterQuery = Annotated[str | None, Query(max_length=20)]


# --- the console ---------------------------------------------------------------------------


@router.get("/port")
def console(
    request: Request,
    session: SessionDep,
    profile: ProfileDep,
    principal: Officer,
    point: PointQuery = None,
    outcome: FilterQuery = None,
    subject: FilterQuery = None,
    before: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    """Crossings at one point, newest first, filtered by outcome and subject; live with JS."""
    shown = chosen_point(principal, profile, point)
    outcome_value = _choice(Outcome, "outcome", outcome)
    subject_value = _choice(SubjectType, "subject", subject)
    rows, older = repository.latest_crossings(
        session,
        points=[shown.code],
        outcome=Outcome(outcome_value) if outcome_value else None,
        subject_type=SubjectType(subject_value) if subject_value else None,
        before=before,
        limit=PAGE_SIZE,
    )
    filters = {"point": shown.code, "outcome": outcome_value or "", "subject": subject_value or ""}
    # The stream resumes after the newest row shown: nothing decided meanwhile is missed.
    newest = rows[0].decision_id if rows else repository.last_decision_id(session)
    return render(
        request,
        "crossing/console.html",
        points=points_for(principal, profile),
        point=shown,
        filters=filters,
        outcomes=list(Outcome),
        subjects=list(SubjectType),
        rows=rows,
        older=older,
        older_query={**filters, "before": older},
        live=before is None,
        stream_query={**filters, "after": newest},
        **presenters(profile),
    )


# --- one crossing --------------------------------------------------------------------------


@router.get("/port/crossings/{crossing_id}")
def crossing_page(
    request: Request,
    crossing_id: Id,
    session: SessionDep,
    profile: ProfileDep,
    principal: Officer,
) -> Response:
    """A crossing's facts, its decision and reasons, a replay, and its audit trail."""
    event = service.get_crossing(session, crossing_id)
    chosen_point(principal, profile, event.crossing_point)
    row = repository.console_row(session, crossing_id)
    if row is None:  # pragma: no cover - every stored event has its decision
        raise NotFound(f"crossing {crossing_id} has no decision")
    decision = event.decision
    inspection_id = repository.inspection_of(session, decision.id)
    # The crossing's trail: its decision, then its inspection and any override of it.
    trail = _trail(session, "crossing_event", event.id)
    if inspection_id is not None:
        trail += _trail(session, "inspection", inspection_id)
    for override_id in repository.override_ids_of(session, decision.id):
        trail += _trail(session, "override", override_id)
    try:
        replayed: service.Replay | None = service.replay(session, decision, profile=profile)
        replay_problem = None
    except HetaoError as error:  # e.g. a rule set no longer stored: the page still shows
        replayed, replay_problem = None, error.detail
    return render(
        request,
        "crossing/crossing.html",
        event=event,
        decision=decision,
        row=row,
        replay=replayed,
        replay_problem=replay_problem,
        inspection_id=inspection_id,
        trail=sorted(trail, key=lambda item: item.seq),
        face=_face_facts(decision.inputs),
        **presenters(profile),
    )


def _face_facts(inputs: dict[str, Any]) -> dict[str, Any] | None:
    """The face match the gate presented, as the decision read it (None without one)."""
    subject = inputs.get("subject")
    face = subject.get("face") if isinstance(subject, dict) else None
    return face if isinstance(face, dict) else None


def _trail(session: Session, subject_type: str, subject_id: int) -> list[AuditEvent]:
    page = audit_repository.page_events(
        session,
        tag=None,
        subject_type=subject_type,
        subject_id=str(subject_id),
        cursor=None,
        limit=TRAIL_LIMIT,
    )
    return list(page.items)


# --- the kiosk -----------------------------------------------------------------------------


@router.get("/port/kiosk/{point}")
def kiosk(
    request: Request,
    point: Annotated[str, Path(max_length=40)],
    session: SessionDep,
    profile: ProfileDep,
    principal: Officer,
) -> Response:
    """The last decision at a point, large, in the three languages, without names."""
    shown = chosen_point(principal, profile, point)
    rows, _ = repository.latest_crossings(session, points=[shown.code], limit=1)
    last = rows[0] if rows else None
    newest = last.decision_id if last else repository.last_decision_id(session)
    return render(
        request,
        "crossing/kiosk.html",
        point=shown,
        row=last,
        kiosk=kiosk_texts(profile, last),
        stream_query={"point": shown.code, "view": "kiosk", "after": newest},
        **presenters(profile),
    )


# --- the event stream ----------------------------------------------------------------------


def _event_id(value: str | None) -> int | None:
    """The Last-Event-ID a reconnecting browser sends back (ours are decision ids)."""
    return int(value) if value and value.isdigit() else None


@router.api_route("/port/stream", methods=["GET", "HEAD"])
async def stream(
    request: Request,
    profile: ProfileDep,
    principal: Officer,
    point: PointQuery = None,
    outcome: FilterQuery = None,
    subject: FilterQuery = None,
    view: Literal["console", "kiosk"] = "console",
    after: Annotated[int | None, Query(ge=0)] = None,
    last_event_id: Annotated[str | None, Header(max_length=20)] = None,
) -> Response:
    """Server-Sent Events: each decision at the point as it is committed, as an HTML fragment
    of the console's row or the kiosk's panel. A reconnection resumes after Last-Event-ID."""
    shown = chosen_point(principal, profile, point)
    outcome_value = _choice(Outcome, "outcome", outcome)
    subject_value = _choice(SubjectType, "subject", subject)
    if request.method == "HEAD":  # the answer's status and headers, without opening a stream
        return Response(media_type="text/event-stream", headers=STREAM_HEADERS)
    feed = feed_of(request.app)
    subscription = feed.subscribe(
        [shown.code],
        outcome=Outcome(outcome_value) if outcome_value else None,
        subject_type=SubjectType(subject_value) if subject_value else None,
    )
    resume = _event_id(last_event_id)
    lang = current_language()
    root: str = request.scope.get("root_path", "")

    def render_row(row: ConsoleRow) -> str:
        return feed.rendered(
            (row.decision_id, view, lang, root),
            lambda: fragment(row, view=view, lang=lang, root=root, profile=profile),
        )

    return StreamingResponse(
        _events(
            feed,
            subscription,
            after=resume if resume is not None else after,
            render=render_row,
        ),
        media_type="text/event-stream",
        headers=STREAM_HEADERS,
    )


def sse_event(event_id: int, html: str) -> str:
    """One SSE message: its id (for Last-Event-ID), its type, the fragment line by line."""
    data = "".join(f"data: {line}\n" for line in html.strip().splitlines())
    return f"id: {event_id}\nevent: crossing\n{data}\n"


async def _events(
    feed: Feed,
    subscription: Subscription,
    *,
    after: int | None,
    render: Callable[[ConsoleRow], str],
) -> AsyncIterator[str]:
    """The stream's text: the retry delay, what was missed since ``after``, then each new
    decision, with a comment line while it is quiet. Unsubscribes however it ends."""
    loop = asyncio.get_running_loop()
    ends_at = loop.time() + STREAM_SECONDS
    try:
        yield f"retry: {RETRY_MILLISECONDS}\n\n"
        sent: set[int] = set()
        if after is not None:
            missed = await feed.read(
                lambda session: repository.latest_crossings(
                    session,
                    points=subscription.points,
                    outcome=subscription.outcome,
                    subject_type=subscription.subject_type,
                    after=after,
                    limit=BACKLOG_LIMIT,
                )[0]
            )
            for row in reversed(missed):
                sent.add(row.decision_id)
                yield sse_event(row.decision_id, render(row))
        while (left := ends_at - loop.time()) > 0:
            try:
                row = await asyncio.wait_for(subscription.queue.get(), min(HEARTBEAT_SECONDS, left))
            except TimeoutError:
                yield ": keep-alive\n\n"
                continue
            if row is None:  # fell too far behind: the browser reconnects from its last event
                return
            if row.decision_id in sent or (after is not None and row.decision_id <= after):
                continue
            sent.add(row.decision_id)
            yield sse_event(row.decision_id, render(row))
    finally:
        feed.unsubscribe(subscription)
