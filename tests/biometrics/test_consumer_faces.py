"""Faces in events that reach hetao through JetStream: `hetao gate-consumer`'s Decider compares a
probe with the enrolled template as the HTTP endpoint does, with real faces (issue 20, item 2)."""

from __future__ import annotations

import base64
import json
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from biometrics import real_faces
from biometrics.support import ACTOR, BOX, enrolled_researcher
from crossing.events.support import person_event
from factories import make_gate_token
from hetao.biometrics import service
from hetao.biometrics.provision import builtin_face_check
from hetao.crossing.jetstream import (
    AUTHORIZATION_HEADER,
    Decided,
    Decider,
    GateMessage,
    Subjects,
)
from hetao.profiles import load_profile
from hetao.registry.models import Person
from hetao.storage.types import utcnow

PROFILE = load_profile("hetao")
SUBJECTS = Subjects()
POINT = "FBZ_CHANNEL_1"


def enrolled_at_the_gate(session: Session) -> tuple[Person, dict[str, Any], str]:
    """A researcher enrolled with the astronaut's face, their document and a gate's token."""
    person, _, document = enrolled_researcher(session, PROFILE)
    token = make_gate_token(session, PROFILE, point=POINT, device="gate-faces")
    return person, document, token


def decide(
    sessions: sessionmaker[Session], token: str, document: dict[str, Any], probe: bytes
) -> dict[str, Any]:
    """One event with a probe image, decided by the consumer's Decider with the built-in check."""
    body = person_event(document, point=POINT)
    body["subject"]["face"] = {"liveness": True, "probe_image": base64.b64encode(probe).decode()}
    decider = Decider(
        sessions,
        profile=PROFILE,
        seed_key=bytes(32),
        subjects=SUBJECTS,
        faces=builtin_face_check(BOX, PROFILE.faces),
    )
    message = GateMessage(
        subject=SUBJECTS.events(POINT),
        headers={AUTHORIZATION_HEADER: f"Bearer {token}"},
        data=json.dumps(body).encode(),
    )
    [verdict] = decider.decide([message])
    assert isinstance(verdict, Decided), verdict
    answer: dict[str, Any] = json.loads(verdict.document)
    return answer


def face_reasons(crossing: dict[str, Any]) -> dict[str, str]:
    reasons = crossing["decision"]["reasons"]
    return {r["code"]: r["outcome"] for r in reasons if r["code"].startswith("face.")}


def test_the_consumer_releases_a_researcher_whose_face_the_gate_saw(
    session: Session, session_maker: sessionmaker[Session]
) -> None:
    _, document, token = enrolled_at_the_gate(session)
    session.commit()
    probe = real_faces.astronaut_at_the_gate()[0]
    crossing = decide(session_maker, token, document, probe)
    assert face_reasons(crossing) == {"face.matched": "release"}


def test_the_consumer_sends_another_persons_face_to_the_officer(
    session: Session, session_maker: sessionmaker[Session]
) -> None:
    _, document, token = enrolled_at_the_gate(session)
    session.commit()
    crossing = decide(session_maker, token, document, real_faces.other_people()[0])
    assert crossing["decision"]["outcome"] == "inspect"
    assert face_reasons(crossing) == {"face.below_threshold": "inspect"}


def test_after_withdrawal_the_consumer_sends_the_researcher_to_the_officer(
    session: Session, session_maker: sessionmaker[Session]
) -> None:
    person, document, token = enrolled_at_the_gate(session)
    service.withdraw(session, person, actor=ACTOR, now=utcnow())
    session.commit()
    crossing = decide(session_maker, token, document, real_faces.astronaut())
    assert crossing["decision"]["outcome"] == "inspect"
    assert face_reasons(crossing) == {"face.not_enrolled": "inspect"}
