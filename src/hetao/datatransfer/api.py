"""Endpoints of `hetao.datatransfer` under /api/v1: routing, applications, the channel log.

Each endpoint admits the roles `access` lists (`Readers`, ...) and checks objects with its rules; an
enterprise user works within its own party.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status
from sqlalchemy.orm import Session

from hetao.api.deps import (
    DEFAULT_PAGE_SIZE,
    CursorQuery,
    LimitQuery,
    ProfileDep,
    SessionDep,
)
from hetao.api.openapi import answered_again
from hetao.api.routing import UnitOfWorkRoute
from hetao.api.schemas import Page
from hetao.api.security import Allow
from hetao.auth.principal import Principal
from hetao.datatransfer import access, channel, service
from hetao.datatransfer import repository as repo
from hetao.datatransfer.models import ApplicationStatus, DataTransferApplication
from hetao.datatransfer.routing import route
from hetao.datatransfer.schemas import (
    ActivationIn,
    ApplicationCreate,
    ApplicationOut,
    ApprovalIn,
    BatchIn,
    BatchOut,
    ExtensionIn,
    FilingIn,
    RejectionIn,
    RouteRequest,
    RoutingOut,
)
from hetao.inputs import Id
from hetao.registry.access import enforce

router = APIRouter(
    route_class=UnitOfWorkRoute,
    prefix="/data-transfers",
    tags=["data transfers"],
)

READERS = Allow(*access.READERS)
Readers = Annotated[Principal, Depends(READERS)]
Exporters = Annotated[Principal, Depends(Allow(*access.EXPORTERS))]
Reviewers = Annotated[Principal, Depends(Allow(*access.REVIEWERS))]
Channel = Annotated[Principal, Depends(Allow(*access.CHANNEL))]


def _locked(session: Session, principal: Principal, application_id: int) -> DataTransferApplication:
    application = repo.get_application(session, application_id, for_update=True)
    return access.check_application(principal, application)


@router.post(
    "/route",
    summary="Route a transfer per R33-R37 (writes nothing)",
    dependencies=[Depends(READERS)],
)
def route_transfer(body: RouteRequest, profile: ProfileDep) -> RoutingOut:
    """The route, its alternatives, the rule and the reasons, as `hetao data route` prints."""
    return RoutingOut.of(route(body.facts(), profile.data))


@router.post("", status_code=status.HTTP_201_CREATED, summary="Open a data transfer application")
def create_application(
    body: ApplicationCreate, session: SessionDep, profile: ProfileDep, principal: Exporters
) -> ApplicationOut:
    """A draft; the exporter must be whitelisted for the data flow."""
    enforce(access.can_apply(principal, body.exporter_party_id))
    application = service.create_application(session, body, profile=profile, actor=principal.actor)
    return ApplicationOut.model_validate(application)


@router.get("", summary="List data transfer applications")
def list_applications(
    session: SessionDep,
    principal: Readers,
    exporter_party_id: Id | None = None,
    status_: Annotated[ApplicationStatus | None, Query(alias="status")] = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_PAGE_SIZE,
) -> Page[ApplicationOut]:
    """Applications in creation order (an enterprise user sees its own)."""
    page = repo.page_applications(
        session,
        exporter_party_id=access.scoped(principal, exporter_party_id),
        status=status_,
        cursor=cursor,
        limit=limit,
    )
    return Page.of(page, ApplicationOut)


@router.get("/{application_id}", summary="Show a data transfer application")
def get_application(application_id: Id, session: SessionDep, principal: Readers) -> ApplicationOut:
    """The application with its counts, route, status and validity window."""
    application = repo.get_application(session, application_id)
    return ApplicationOut.model_validate(access.check_application(principal, application))


@router.post("/{application_id}/self-assess", summary="Route it with the year to date")
def self_assess(
    application_id: Id, session: SessionDep, profile: ProfileDep, principal: Exporters
) -> ApplicationOut:
    """draft -> self_assessed; an exempt route ends here."""
    application = _locked(session, principal, application_id)
    service.self_assess(session, application, profile=profile, actor=principal.actor)
    return ApplicationOut.model_validate(application)


@router.post("/{application_id}/file", summary="Record the contract or certification filing")
def file_application(
    application_id: Id, body: FilingIn, session: SessionDep, principal: Exporters
) -> ApplicationOut:
    """self_assessed -> filed (standard contract, GBA standard contract, certification)."""
    application = _locked(session, principal, application_id)
    service.file(session, application, reference=body.reference, actor=principal.actor)
    return ApplicationOut.model_validate(application)


@router.post("/{application_id}/apply", summary="Record the security assessment application")
def apply_for_assessment(
    application_id: Id, body: FilingIn, session: SessionDep, principal: Exporters
) -> ApplicationOut:
    """self_assessed -> applied (security assessment)."""
    application = _locked(session, principal, application_id)
    service.apply(session, application, reference=body.reference, actor=principal.actor)
    return ApplicationOut.model_validate(application)


@router.post("/{application_id}/approve", summary="Record the authority's approval")
def approve_application(
    application_id: Id, body: ApprovalIn, session: SessionDep, principal: Reviewers
) -> ApplicationOut:
    """filed | applied -> approved."""
    application = _locked(session, principal, application_id)
    service.approve(
        session, application, reference=body.reference, note=body.note, actor=principal.actor
    )
    return ApplicationOut.model_validate(application)


@router.post("/{application_id}/reject", summary="Record the authority's refusal")
def reject_application(
    application_id: Id, body: RejectionIn, session: SessionDep, principal: Reviewers
) -> ApplicationOut:
    """filed | applied -> rejected."""
    application = _locked(session, principal, application_id)
    service.reject(session, application, reason=body.reason, actor=principal.actor)
    return ApplicationOut.model_validate(application)


@router.post("/{application_id}/activate", summary="Put the approval in force")
def activate_application(
    application_id: Id,
    body: ActivationIn,
    session: SessionDep,
    profile: ProfileDep,
    principal: Reviewers,
) -> ApplicationOut:
    """approved -> active, valid for the profile's years (R36)."""
    application = _locked(session, principal, application_id)
    service.activate(
        session, application, profile=profile, valid_from=body.valid_from, actor=principal.actor
    )
    return ApplicationOut.model_validate(application)


@router.post("/{application_id}/extend", summary="Extend in the renewal window (R36)")
def extend_application(
    application_id: Id,
    body: ExtensionIn,
    session: SessionDep,
    profile: ProfileDep,
    principal: Exporters,
) -> ApplicationOut:
    """expiring -> extended: the validity grows by the profile's years; growth <= 20 %."""
    application = _locked(session, principal, application_id)
    service.extend(session, application, body, profile=profile, actor=principal.actor)
    return ApplicationOut.model_validate(application)


@router.post(
    "/{application_id}/batches",
    status_code=status.HTTP_201_CREATED,
    summary="Post a channel batch: recorded or refused, with the reasons",
    responses=answered_again(BatchOut),
)
def post_batch(
    application_id: Id,
    body: BatchIn,
    response: Response,
    session: SessionDep,
    profile: ProfileDep,
    principal: Channel,
) -> BatchOut:
    """201 with the new record (status recorded or refused); 200 with the first for a retry."""
    application = _locked(session, principal, application_id)
    batch, created = channel.record_batch(
        session, application, body, profile=profile, actor=principal.actor
    )
    if not created:
        response.status_code = status.HTTP_200_OK
    return BatchOut.model_validate(batch)


@router.get("/{application_id}/batches", summary="The channel log of an application")
def list_batches(
    application_id: Id,
    session: SessionDep,
    principal: Readers,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_PAGE_SIZE,
) -> Page[BatchOut]:
    """Recorded and refused batches in posting order."""
    application = access.check_application(principal, repo.get_application(session, application_id))
    page = repo.page_batches(session, application_id=application.id, cursor=cursor, limit=limit)
    return Page.of(page, BatchOut)
