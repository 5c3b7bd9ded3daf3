"""Enrolled researchers for the face tests, enrolled through the real service and verifier."""

from __future__ import annotations

import datetime as dt
import functools
import itertools
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from biometrics import real_faces
from crossing.events.support import whitelisted_person
from factories import make_user_token
from hetao.audit.service import Actor
from hetao.auth.models import User
from hetao.auth.principal import Role
from hetao.biometrics import service
from hetao.biometrics.dlib_verifier import DlibVerifier
from hetao.biometrics.models import FaceEnrolment
from hetao.biometrics.sealed import TemplateBox
from hetao.profiles import ZoneProfile
from hetao.registry.models import Person
from hetao.storage.types import utcnow

ACTOR = Actor("user", "reviewer")
#: A fixed key: what a test seals, the same test opens.
BOX = TemplateBox(bytes(32))
_desks = itertools.count(1)


@functools.cache
def verifier() -> DlibVerifier:
    return DlibVerifier()


def reviewer_id(session: Session) -> int:
    """A zone reviewer's user id: who records an enrolment at the desk."""
    make_user_token(session, Role.ZONE_REVIEWER, name=f"desk-{next(_desks)}")
    session.flush()
    return session.scalars(select(func.max(User.id))).one()


def enrolled_researcher(
    session: Session, profile: ZoneProfile, *, now: dt.datetime | None = None
) -> tuple[Person, FaceEnrolment, dict[str, Any]]:
    """A whitelisted researcher enrolled with the astronaut's face, and their document."""
    person, _, document = whitelisted_person(session, ACTOR, profile)
    row = service.enrol(
        session,
        person,
        image=real_faces.astronaut(),
        purpose="Crossing Channel No. 1 to the laboratory",
        consent_statement="hetao-faces-v1",
        consented=True,
        faces=profile.faces,
        verifier=verifier(),
        box=BOX,
        recorded_by=reviewer_id(session),
        actor=ACTOR,
        now=now or utcnow(),
    )
    return person, row, document
