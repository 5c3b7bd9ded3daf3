"""The face facts of a traveller at the gate: the gate's own match, or hetao's comparison.

Read-only: it opens the enrolled template, compares a probe where the profile enables the
built-in verifier, and returns plain facts; the decision applies the threshold.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from sqlalchemy.orm import Session

from hetao.biometrics import repository, service
from hetao.biometrics.schemas import FaceClaimIn
from hetao.biometrics.sealed import TemplateBox
from hetao.biometrics.verifier import FaceVerifier, NoFace
from hetao.engine.facts import FaceFacts
from hetao.profiles.schema import FacesSection

#: What the facts record where the caller had no FaceCheck to give: the officer looks.
NOT_CHECKED = "not_checked"


def unchecked(claim: FaceClaimIn) -> FaceFacts:
    """The facts of a claim nobody could check here: the officer looks."""
    return FaceFacts(
        source="gate" if claim.score is not None else "hetao",
        enrolled=False,
        liveness=claim.liveness,
        score=None,
        problem=NOT_CHECKED,
    )


@dataclass(frozen=True, slots=True)
class FaceCheck:
    """Turns a gate's face claim into facts, with the zone's verifier and template key."""

    faces: FacesSection | None
    verifier: FaceVerifier
    box: TemplateBox

    def __call__(
        self, session: Session, person_id: int | None, claim: FaceClaimIn, at: dt.datetime
    ) -> FaceFacts:
        row = None if person_id is None else repository.enrolment_of(session, person_id)
        enrolled = service.in_force(row, now=at)
        if claim.score is not None:
            return FaceFacts(
                source="gate",
                enrolled=enrolled,
                liveness=claim.liveness,
                score=claim.score,
                device=claim.device,
                model_version=claim.model_version,
            )
        facts = FaceFacts(source="hetao", enrolled=enrolled, liveness=claim.liveness, score=None)
        if not enrolled or row is None or row.template_sealed is None or claim.probe_image is None:
            return facts
        if self.faces is None or not self.faces.builtin_verifier:
            return replace(facts, problem="builtin_disabled")
        if row.model_version != self.verifier.model_version:
            return replace(facts, problem="model_mismatch")
        try:
            template = self.box.open_bytes(row.template_sealed)
        except ValueError:  # sealed under another key: the key file was replaced
            return replace(facts, problem="template_unreadable")
        try:
            compared = self.verifier.compare(
                template, claim.probe_image, field="subject.face.probe_image"
            )
        except NoFace:
            return replace(facts, problem="no_face")
        return FaceFacts(
            source="hetao",
            enrolled=True,
            liveness=claim.liveness,
            score=compared.score,
            device=claim.device,
            model_version=compared.model_version,
        )
