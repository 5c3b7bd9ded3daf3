"""Face enrolment endpoints under /api/v1: enrol with consent, withdraw it, read the status.

Enrolment happens at the registry desk with the researcher present: the zone administration
records it. The answer never carries the template.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, status

from hetao.api.deps import SessionDep
from hetao.api.routing import UnitOfWorkRoute
from hetao.api.security import Allow
from hetao.api.state import app_state
from hetao.auth.principal import Principal
from hetao.biometrics import access, repository, service
from hetao.biometrics.provision import template_box, verifier_of
from hetao.biometrics.schemas import EnrolmentIn, EnrolmentOut
from hetao.errors import NotFound
from hetao.inputs import Id
from hetao.registry.models import Person
from hetao.storage import lookup
from hetao.storage.types import utcnow

router = APIRouter(route_class=UnitOfWorkRoute)

Enrollers = Annotated[Principal, Depends(Allow(*access.ENROLLERS))]
Readers = Annotated[Principal, Depends(Allow(*access.READERS))]
PATH = "/persons/{person_id}/face-enrolment"


@router.get(PATH, tags=["faces"], summary="A person's face enrolment")
def get_enrolment(person_id: Id, session: SessionDep, _reader: Readers) -> EnrolmentOut:
    """Status, purpose, consent and retention of the person's enrolment (never the template)."""
    row = repository.enrolment_of(session, lookup.get(session, Person, person_id).id)
    if row is None:
        raise NotFound(f"person {person_id} has never enrolled a face")
    return EnrolmentOut.model_validate(row)


@router.put(
    PATH, tags=["faces"], summary="Enrol a face with consent", status_code=status.HTTP_200_OK
)
def enrol(
    person_id: Id, body: EnrolmentIn, request: Request, session: SessionDep, enroller: Enrollers
) -> EnrolmentOut:
    """Enrol (or re-enrol) a whitelisted researcher: the template is sealed, the photo dropped."""
    person = lookup.get(session, Person, person_id)
    row = service.enrol(
        session,
        person,
        image=body.image,
        purpose=body.purpose,
        consent_statement=body.consent_statement,
        consented=body.consent,
        faces=app_state(request).profile.faces,
        verifier=verifier_of(request.app),
        box=template_box(request.app),
        recorded_by=enroller.id,
        actor=enroller.actor,
        now=utcnow(),
    )
    return EnrolmentOut.model_validate(row)


@router.delete(PATH, tags=["faces"], summary="Withdraw consent: delete the template")
def withdraw(person_id: Id, session: SessionDep, enroller: Enrollers) -> EnrolmentOut:
    """The person withdraws consent; the template is deleted. Repeating it changes nothing."""
    person = lookup.get(session, Person, person_id)
    row = service.withdraw(session, person, actor=enroller.actor, now=utcnow())
    if row is None:
        raise NotFound(f"person {person_id} has never enrolled a face")
    return EnrolmentOut.model_validate(row)
