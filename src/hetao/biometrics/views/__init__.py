"""The registry desk's face enrolment page: enrol a whitelisted researcher, withdraw consent.

The researcher is at the desk: the reviewer takes the photo, records the purpose and ticks the
consent the researcher gives. The photo is compared into a template and dropped.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request, Response
from pydantic import ConfigDict, Field
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from hetao.api.deps import ProfileDep, SessionDep
from hetao.api.security import Allow
from hetao.auth.principal import Principal
from hetao.biometrics import access, images, repository, service
from hetao.biometrics.provision import template_box, verifier_of
from hetao.biometrics.schemas import Purpose
from hetao.inputs import Id, InputModel
from hetao.registry.models import Person
from hetao.storage import lookup
from hetao.storage.types import utcnow
from hetao.web import page_router
from hetao.web.forms import FormState, attempt, parse
from hetao.web.rendering import redirect, render

router = page_router()

Enrollers = Annotated[Principal, Depends(Allow(*access.ENROLLERS))]
ENROLLING = Depends(Allow(*access.ENROLLERS))
FIELDS = {
    "image": "biometrics.field.image",
    "purpose": "biometrics.field.purpose",
    "consent": "biometrics.field.consent",
}
DONE = ("enrolled", "withdrawn")


class EnrolmentForm(InputModel):
    """The desk's form: the purpose and the consent box (the photo is read apart)."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    purpose: Purpose
    consent: bool = Field(default=False)


def _page(
    request: Request,
    session: Session,
    person: Person,
    *,
    form: FormState | None = None,
    done: str | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "biometrics/enrolment.html",
        status_code=status_code,
        person=person,
        enrolment=repository.enrolment_of(session, person.id),
        form=form or FormState(fields=FIELDS),
        done=done if done in DONE else None,
        max_photo_kb=images.IMAGE_MAX_BYTES // 1024,
    )


@router.get("/review/persons/{person_id}/face", dependencies=[ENROLLING])
def enrolment_page(
    request: Request,
    person_id: Id,
    session: SessionDep,
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    """The person's face enrolment: its consent and retention, and the desk's two forms."""
    return _page(request, session, lookup.get(session, Person, person_id), done=done)


@router.post("/review/persons/{person_id}/face/enrol")
async def enrol(
    request: Request,
    person_id: Id,
    session: SessionDep,
    profile: ProfileDep,
    enroller: Enrollers,
) -> Response:
    """Enrol with the photo taken at the desk and the consent given; the photo is not kept."""
    person = lookup.get(session, Person, person_id, for_update=True)
    posted = await request.form()
    body, form = parse(EnrolmentForm, posted, FIELDS)
    part = posted.get("image")
    photo = await part.read(images.IMAGE_MAX_BYTES + 1) if isinstance(part, UploadFile) else b""
    if body is not None and attempt(
        session,
        form,
        lambda: service.enrol(
            session,
            person,
            image=photo,
            purpose=body.purpose,
            consent_statement="hetao-faces-v1",
            consented=body.consent,
            faces=profile.faces,
            verifier=verifier_of(request.app),
            box=template_box(request.app),
            recorded_by=enroller.id,
            actor=enroller.actor,
            now=utcnow(),
        ),
    ):
        return redirect(request, f"/review/persons/{person_id}/face?done=enrolled")
    return _page(request, session, person, form=form, status_code=422)


@router.post("/review/persons/{person_id}/face/withdraw")
def withdraw(request: Request, person_id: Id, session: SessionDep, enroller: Enrollers) -> Response:
    """The person withdraws consent: the template is deleted at once."""
    person = lookup.get(session, Person, person_id, for_update=True)
    service.withdraw(session, person, actor=enroller.actor, now=utcnow())
    return redirect(request, f"/review/persons/{person_id}/face?done=withdrawn")
