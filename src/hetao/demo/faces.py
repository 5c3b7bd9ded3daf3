"""The demo's face enrolments (issue 20): three whitelisted researchers enrolled at the desk, one
of whom later withdrew consent, and their crossings of Channel No. 1 on the gate's own match.

hetao ships no photograph, so a demo template is a random descriptor of the built-in model's
shape, sealed under the zone's template key like any other: the gates here report their own
match, which is what the pages and the decisions show. Enrol a real face at the desk page to
try the built-in verifier.
"""

from __future__ import annotations

import datetime as dt
import math
import struct
from dataclasses import dataclass

from hetao.biometrics import service as face_service
from hetao.biometrics.dlib_verifier import DESCRIPTOR_LENGTH, MODEL_VERSION
from hetao.biometrics.provision import builtin_face_check
from hetao.biometrics.sealed import TemplateBox
from hetao.crossing import intake
from hetao.demo.scene import Scene
from hetao.demo.users import ZONE_REVIEWER
from hetao.profiles import Flow, Line
from hetao.registry.models import EntryStatus, Person, SubjectKind

#: The device the demo's face-reading gate posts as.
GATE = intake.Device("demo:face-gate", "demo-face-gate")
#: What the demo gate reports of its own matcher.
GATE_MODEL = "vendor-facematch-2026.2"
PURPOSE = "Crossing Channel No. 1 to the joint laboratory"
#: Days before today a researcher enrolled.
ENROLLED_DAYS_AGO = 30
WITHDRAWN_DAYS_AGO = 6


@dataclass(frozen=True)
class DemoPassage:
    """A researcher's crossing on a face match: whom (index among the enrolled), days ago,
    which way, and the gate's score."""

    researcher: int
    days_ago: int
    direction: str
    score: float
    liveness: bool = True


#: A clear match (released), a poor one (to the officer), a match without liveness (to the
#: officer), and a match of the researcher who withdrew consent (to the officer).
PASSAGES = (
    DemoPassage(0, 4, "inbound", 0.93),
    DemoPassage(0, 4, "outbound", 0.95),
    DemoPassage(1, 3, "inbound", 0.41),
    DemoPassage(1, 2, "inbound", 0.88, liveness=False),
    DemoPassage(2, 1, "inbound", 0.91),
)


def _template(scene: Scene) -> bytes:
    """A random unit-length descriptor, as the built-in model's are stored (float32, LE)."""
    numbers = [scene.rng.gauss(0.0, 1.0) for _ in range(DESCRIPTOR_LENGTH)]
    length = math.sqrt(sum(n * n for n in numbers))
    return struct.pack(f"<{DESCRIPTOR_LENGTH}f", *(n / length for n in numbers))


def _researchers(scene: Scene) -> list[Person]:
    """Researchers whose individual whitelist entry is in force today and who hold a document."""
    persons = {person.id: person for person in scene.registry.persons}
    chosen: dict[int, Person] = {}
    for entry in scene.registry.entries:
        person = persons.get(entry.person_id or 0)
        if (
            person is not None
            and entry.subject_kind is SubjectKind.INDIVIDUAL
            and entry.status is EntryStatus.ACTIVE
            and entry.valid_from <= scene.today - dt.timedelta(days=ENROLLED_DAYS_AGO)
            and scene.today <= entry.valid_until
            and person.documents
        ):
            chosen.setdefault(person.id, person)
    return list(chosen.values())[:3]


def enrol_faces(scene: Scene, templates: TemplateBox) -> int:
    """Enrol the demo's researchers, withdraw one, and cross Channel No. 1; how many enrolled."""
    from hetao.crossing import service as crossing
    from hetao.crossing.schemas import CrossingIn

    profile = scene.profile
    point = next(
        (
            p
            for p in profile.crossing_points
            if p.line is Line.FIRST and Flow.PEOPLE in p.flows and p.whitelist_only
        ),
        None,
    )
    researchers = _researchers(scene)
    if profile.faces is None or point is None or len(researchers) < 3:
        return 0
    session = scene.session
    desk = scene.users.users[ZONE_REVIEWER]
    for person in researchers:
        face_service.record_enrolment(
            session,
            person,
            template=_template(scene),
            model_version=MODEL_VERSION,
            purpose=PURPOSE,
            consent_statement="hetao-faces-v1",
            faces=profile.faces,
            box=templates,
            recorded_by=desk.id,
            actor=scene.actor_of(ZONE_REVIEWER),
            now=scene.instant(scene.today - dt.timedelta(days=ENROLLED_DAYS_AGO)),
        )
    face_service.withdraw(
        session,
        researchers[2],
        actor=scene.actor_of(ZONE_REVIEWER),
        now=scene.instant(scene.today - dt.timedelta(days=WITHDRAWN_DAYS_AGO)),
    )
    check = builtin_face_check(templates, profile.faces)
    for number, passage in enumerate(PASSAGES):
        at = scene.instant(scene.today - dt.timedelta(days=passage.days_ago))
        document = researchers[passage.researcher].documents[0]
        payload = CrossingIn.model_validate(
            {
                "event_id": f"demo-face-{number:02d}",
                "crossing_point": point.code,
                "direction": passage.direction,
                "occurred_at": at.isoformat(),
                "subject": {
                    "type": "person",
                    "document": {"kind": document.kind.value, "number": document.number},
                    "face": {
                        "score": passage.score,
                        "liveness": passage.liveness,
                        "device": "FACE-CAM-01",
                        "model_version": GATE_MODEL,
                    },
                },
            }
        )
        crossing.record_crossing(
            session, payload, device=GATE, profile=profile, seed_key=scene.seed_key,
            actor=scene.actor, faces=check, now=at + dt.timedelta(seconds=1),
        )  # fmt: skip
    return len(researchers)
