"""Enrolment, withdrawal of consent and the retention purge of face templates.

A template exists only while consent is in force and the retention period runs: withdrawing
consent or reaching ``expires_at`` removes it from the row in the same transaction as its audit
event. Audit events name a template by its SHA-256, never by its bytes.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy.orm import Session

from hetao.audit.service import Actor, record_event
from hetao.audit.tags import BiometricsTag
from hetao.biometrics import repository
from hetao.biometrics.models import EnrolmentStatus, FaceEnrolment
from hetao.biometrics.sealed import TemplateBox
from hetao.biometrics.verifier import FaceVerifier, NoFace
from hetao.errors import FieldProblem, RuleViolation, ValidationFailed
from hetao.profiles.schema import FacesSection
from hetao.registry import repository as registry_repository
from hetao.registry.models import Person, SubjectKind

SUBJECT = "face_enrolment"


def faces_enabled(faces: FacesSection | None) -> FacesSection:
    """The profile's face section; a refusal where the zone does not verify faces."""
    if faces is None:
        raise RuleViolation(
            "this zone's profile has no [faces] section: faces are not verified here",
            problems=[FieldProblem("profile", "biometrics.disabled", "no [faces] section")],
        )
    return faces


def enrol(
    session: Session,
    person: Person,
    *,
    image: bytes,
    purpose: str,
    consent_statement: str,
    consented: bool,
    faces: FacesSection | None,
    verifier: FaceVerifier,
    box: TemplateBox,
    recorded_by: int,
    actor: Actor,
    now: dt.datetime,
) -> FaceEnrolment:
    """Enrol (or re-enrol) a whitelisted person's face with their recorded consent."""
    faces_enabled(faces)
    if not consented:
        raise ValidationFailed.single(
            "consent", "biometrics.consent_required", "the person must consent to enrolment"
        )
    _check_whitelisted(session, person)
    try:
        template = verifier.template(image, field="image")
    except NoFace:
        raise ValidationFailed.single(
            "image", "biometrics.no_face", "no face was found in the image"
        ) from None
    return record_enrolment(
        session,
        person,
        template=template,
        model_version=verifier.model_version,
        purpose=purpose,
        consent_statement=consent_statement,
        faces=faces,
        box=box,
        recorded_by=recorded_by,
        actor=actor,
        now=now,
    )


def record_enrolment(
    session: Session,
    person: Person,
    *,
    template: bytes,
    model_version: str,
    purpose: str,
    consent_statement: str,
    faces: FacesSection | None,
    box: TemplateBox,
    recorded_by: int,
    actor: Actor,
    now: dt.datetime,
) -> FaceEnrolment:
    """Store a template made from a photo taken with consent (``enrol`` checks both; the demo
    zone, which ships no photograph, gives its own): sealed, named by its SHA-256."""
    section = faces_enabled(faces)
    _check_whitelisted(session, person)
    digest = hashlib.sha256(template).hexdigest()
    row = repository.enrolment_of(session, person.id, for_update=True)
    if row is None:
        row = FaceEnrolment(person_id=person.id)
        session.add(row)
    row.status = EnrolmentStatus.ENROLLED
    row.purpose = purpose
    row.consent_statement = consent_statement
    row.consented_at = now
    row.recorded_by = recorded_by
    row.template_sealed = box.seal_bytes(template)
    row.template_sha256 = digest
    row.model_version = model_version
    row.expires_at = now + dt.timedelta(days=section.retention_days)
    row.ended_at = None
    row.updated_at = now
    session.flush()  # the row's id names the audit event's subject
    record_event(
        session,
        BiometricsTag.FACE_ENROL,
        subject_type=SUBJECT,
        subject_id=row.id,
        actor=actor,
        data={
            "person_id": person.id,
            "purpose": purpose,
            "consent_statement": consent_statement,
            "template_sha256": digest,
            "model_version": row.model_version,
            "expires_at": row.expires_at.isoformat(),
        },
    )
    return row


def _check_whitelisted(session: Session, person: Person) -> None:
    if not registry_repository.live_entries_for_subject(
        session, subject_kind=SubjectKind.INDIVIDUAL, subject_id=person.id
    ):
        raise RuleViolation(
            f"person {person.id} has no whitelist entry: only whitelisted researchers enrol",
            problems=[FieldProblem("person", "biometrics.not_whitelisted", "not on the whitelist")],
        )


def _end(
    session: Session,
    row: FaceEnrolment,
    status: EnrolmentStatus,
    tag: BiometricsTag,
    *,
    actor: Actor,
    now: dt.datetime,
) -> None:
    digest = row.template_sha256
    row.status = status
    row.template_sealed = None  # the template itself is gone; the row records the consent
    row.template_sha256 = None
    row.ended_at = now
    row.updated_at = now
    record_event(
        session,
        tag,
        subject_type=SUBJECT,
        subject_id=row.id,
        actor=actor,
        data={"person_id": row.person_id, "template_sha256": digest},
    )


def withdraw(
    session: Session, person: Person, *, actor: Actor, now: dt.datetime
) -> FaceEnrolment | None:
    """The person withdraws consent: the template is deleted. Again, nothing more happens."""
    row = repository.enrolment_of(session, person.id, for_update=True)
    if row is not None and row.status is EnrolmentStatus.ENROLLED:
        _end(
            session,
            row,
            EnrolmentStatus.WITHDRAWN,
            BiometricsTag.FACE_WITHDRAW,
            actor=actor,
            now=now,
        )
    return row


def purge_expired(session: Session, *, actor: Actor, now: dt.datetime) -> list[FaceEnrolment]:
    """Remove every template past its retention period (the daily job)."""
    rows = repository.expired_enrolments(session, now=now)
    for row in rows:
        _end(session, row, EnrolmentStatus.EXPIRED, BiometricsTag.FACE_PURGE, actor=actor, now=now)
    return rows


def in_force(row: FaceEnrolment | None, *, now: dt.datetime) -> bool:
    """Whether a template may be compared now: consent in force and retention not over."""
    return (
        row is not None
        and row.status is EnrolmentStatus.ENROLLED
        and row.template_sealed is not None
        and now < row.expires_at
    )
