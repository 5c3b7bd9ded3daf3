"""Crossing endpoints under /api/v1: gates and officers post events, staff read the decisions.

A REFUSE is a normal decision (201 with its reasons), not an error: problem+json is kept for
requests the server could not decide at all.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response, status

from hetao import metrics
from hetao.api.deps import (
    DEFAULT_PAGE_SIZE,
    CursorQuery,
    LimitQuery,
    ProfileDep,
    SessionDep,
)
from hetao.api.openapi import answered_again
from hetao.api.routing import ReadOnlyRoute, UnitOfWorkRoute, run_read
from hetao.api.schemas import Page
from hetao.api.security import Allow
from hetao.api.state import app_state
from hetao.auth.principal import Principal
from hetao.biometrics import provision as face_provision
from hetao.crossing import access, intake, rule_sets, service
from hetao.crossing import repository as crossing_repository
from hetao.crossing.schemas import (
    CrossingDetail,
    CrossingIn,
    CrossingOut,
    ReplayOut,
    RuleSetDetail,
    RuleSetIn,
    RuleSetOut,
)
from hetao.engine.facts import Outcome
from hetao.errors import Overloaded
from hetao.inputs import Id
from hetao.storage.groupcommit import CommitterFull, GroupCommitter

router = APIRouter(route_class=UnitOfWorkRoute)
# Who may call each endpoint: the rules are in hetao.crossing.access.
Posters = Annotated[Principal, Depends(Allow(*access.POSTERS))]
READERS = Depends(Allow(*access.READERS))
REPLAYERS = Depends(Allow(*access.REPLAYERS))
RuleAdmins = Annotated[Principal, Depends(Allow(*access.RULE_ADMINS))]
EVENT_ID_IS_THE_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": (
        "Not needed here, and not stored: the device's event_id is the key. A retry with the"
        " same event_id and content returns the first decision (200); other content is 409."
    ),
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
}


def seed_key(request: Request) -> bytes:
    """The server's selection secret, read from the data directory once per application."""
    return app_state(request).crossing_seed_key


#: How long a request waits for the committer before answering 503 (a retry is then safe).
COMMIT_WAIT_SECONDS = 30
#: Decisions a process may have waiting for the committer: about a second of its work on a
#: small machine. Past it a gate is told at once to retry, instead of waiting behind them all.
MAX_WAITING_DECISIONS = 1024


def crossing_recorder(
    request: Request,
) -> GroupCommitter[intake.PreparedCrossing, service.Written]:
    """The application's committer of crossings (made with the application: hetao.app)."""
    return app_state(request).crossing_recorder


# Posting a crossing reads in the request and writes through the group committer: requests
# gather and decide side by side, and one transaction stores a whole batch of decisions.
gate_router = APIRouter(route_class=ReadOnlyRoute)


@gate_router.post(
    "/crossings",
    tags=["crossings"],
    status_code=status.HTTP_201_CREATED,
    summary="Post a crossing event and get its decision (idempotent by the device's event id)",
    responses=answered_again(CrossingOut),
    openapi_extra={"parameters": [EVENT_ID_IS_THE_KEY]},
)
async def post_crossing(
    body: CrossingIn,
    request: Request,
    response: Response,
    session: SessionDep,
    profile: ProfileDep,
    principal: Posters,
) -> CrossingOut:
    """201 with the decision (RELEASE, INSPECT or REFUSE and why); 200 with the first one again
    when the device retries the same event id with the same content; 409 with other content.
    The answer comes once the decision and its audit event are durably committed; 503 with
    Retry-After when that took too long (retry with the same event id: nothing is lost)."""
    arrived = time.perf_counter()
    device = access.check_post(principal, profile.crossing_point(body.crossing_point))
    key = seed_key(request)

    def prepare() -> intake.PreparedCrossing:
        try:
            return intake.prepare_crossing(
                session,
                body,
                device=device,
                profile=profile,
                seed_key=key,
                actor=principal.actor,
                credentials=intake.check_credential,
                faces=face_provision.face_check(request.app, profile.faces),
            )
        finally:
            # End the read snapshot before waiting for the committer. Closing (not rolling back)
            # also hands the connection back at once: one step where rollback then close took two.
            session.close()

    prepared = await run_read(request, prepare)
    try:
        submitted = crossing_recorder(request).submit(prepared)
    except CommitterFull:
        raise Overloaded(
            f"{MAX_WAITING_DECISIONS} decisions are already waiting to be stored; retry with"
            " the same event_id"
        ) from None
    # Waiting takes no thread: the threads are for gathering and deciding.
    stored = asyncio.wrap_future(submitted)
    try:
        event, created = await asyncio.wait_for(stored, COMMIT_WAIT_SECONDS)
    except TimeoutError:
        raise Overloaded(
            f"the decision was not confirmed within {COMMIT_WAIT_SECONDS} s; retry with the"
            " same event_id: a stored decision is returned, a lost one is made again"
        ) from None
    if not created:
        response.status_code = status.HTTP_200_OK
    if isinstance(event, service.NewCrossing):  # the answer is made here, off the write lock
        answer = CrossingOut.model_validate(event.as_document())
    else:
        answer = CrossingOut.model_validate(event)
    metrics.DECISION_SECONDS.labels(answer.decision.outcome, answer.line).observe(
        time.perf_counter() - arrived
    )
    return answer


@router.get(
    "/crossings", tags=["crossings"], summary="List recorded crossings", dependencies=[READERS]
)
def list_crossings(
    session: SessionDep,
    crossing_point: Annotated[str | None, Query(max_length=40)] = None,
    outcome: Outcome | None = None,
    since: Annotated[dt.datetime | None, Query(description="Occurred at or after (UTC)")] = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_PAGE_SIZE,
) -> Page[CrossingOut]:
    """Crossings with their decisions, in recording order."""
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=dt.UTC)
    page = crossing_repository.page_crossings(
        session,
        crossing_point=crossing_point,
        outcome=outcome,
        since=since,
        cursor=cursor,
        limit=limit,
    )
    return Page.of(page, CrossingOut)


@router.get(
    "/crossings/{crossing_id}",
    tags=["crossings"],
    summary="Show a crossing and its decision",
    dependencies=[READERS],
)
def get_crossing(crossing_id: Id, session: SessionDep) -> CrossingDetail:
    """The event, the decision with its reasons in three languages, and the facts it used."""
    event = service.get_crossing(session, crossing_id)
    return CrossingDetail.model_validate(
        {
            **CrossingOut.model_validate(event).model_dump(),
            "payload": event.payload,
            "inputs": event.decision.inputs,
        }
    )


@router.post(
    "/crossings/{crossing_id}/replay",
    tags=["crossings"],
    summary="Recompute a stored decision from its stored inputs (writes nothing)",
    dependencies=[REPLAYERS],
)
def replay_crossing(crossing_id: Id, session: SessionDep, profile: ProfileDep) -> ReplayOut:
    """Whether the same facts, rule set and seed give the same decision and draw today."""
    event = service.get_crossing(session, crossing_id)
    result = service.replay(session, event.decision, profile=profile)
    return ReplayOut(
        crossing_id=event.id,
        matches=result.matches,
        stored=result.stored,
        replayed=result.replayed,
        differences=list(result.differences),
    )


@router.get(
    "/rule-sets", tags=["rule sets"], summary="List stored risk rule sets", dependencies=[READERS]
)
def list_rule_sets(
    session: SessionDep,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_PAGE_SIZE,
) -> Page[RuleSetOut]:
    """Rule sets in the order they were added, with version, activation time and hash."""
    return Page.of(
        crossing_repository.page_rule_sets(session, cursor=cursor, limit=limit), RuleSetOut
    )


@router.get(
    "/rule-sets/{version}",
    tags=["rule sets"],
    summary="Show a rule set with its tables",
    dependencies=[READERS],
)
def get_rule_set(
    version: Annotated[str, Path(max_length=64)], session: SessionDep
) -> RuleSetDetail:
    """One stored rule set with its decision tables."""
    return RuleSetDetail.model_validate(rule_sets.get_rule_set(session, version))


@router.post(
    "/rule-sets",
    tags=["rule sets"],
    status_code=status.HTTP_201_CREATED,
    summary="Add a risk rule set (validated; takes effect at its activation time)",
    responses=answered_again(RuleSetDetail),
)
def add_rule_set(
    body: RuleSetIn,
    response: Response,
    session: SessionDep,
    profile: ProfileDep,
    principal: RuleAdmins,
) -> RuleSetDetail:
    """201 with the stored rule set; 200 when the same version and content are already stored;
    422 naming table, row and column when it fails validation; 409 for a reused version."""
    row, created = rule_sets.add_rule_set(
        session, body.model_dump(), profile=profile, actor=principal.actor
    )
    if not created:
        response.status_code = status.HTTP_200_OK
    return RuleSetDetail.model_validate(row)
