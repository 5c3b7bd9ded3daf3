"""Faces at the gate over HTTP, with real faces: hetao compares the probe at the threshold."""

from __future__ import annotations

import base64
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from biometrics import real_faces
from biometrics.support import ACTOR
from crossing.events.support import person_event, whitelisted_person
from hetao.profiles import load_profile

PROFILE = load_profile("hetao")


def b64(image: bytes) -> str:
    return base64.b64encode(image).decode()


def enrolled(client: TestClient, session: Session) -> dict[str, Any]:
    """A whitelisted researcher enrolled through the API (the app's own template key)."""
    person, _, document = whitelisted_person(session, ACTOR, PROFILE)
    session.commit()
    response = client.put(
        f"/api/v1/persons/{person.id}/face-enrolment",
        json={"image": b64(real_faces.astronaut()), "purpose": "laboratory", "consent": True},
    )
    assert response.status_code == 200, response.text
    return {"person_id": person.id, "document": document}


def cross(client: TestClient, document: dict[str, Any], face: dict[str, Any]) -> dict[str, Any]:
    body = person_event(document)
    body["subject"]["face"] = face
    response = client.post("/api/v1/crossings", json=body)
    assert response.status_code == 201, response.text
    answer: dict[str, Any] = response.json()
    return answer


def face_reasons(crossing: dict[str, Any]) -> dict[str, str]:
    return {
        r["code"]: r["outcome"]
        for r in crossing["decision"]["reasons"]
        if r["code"].startswith("face.")
    }


class TestProbeAtTheGate:
    def test_the_same_face_seen_by_the_gate_matches(
        self, client: TestClient, session: Session
    ) -> None:
        researcher = enrolled(client, session)
        probe = real_faces.astronaut_at_the_gate()[0]
        crossing = cross(
            client, researcher["document"], {"liveness": True, "probe_image": b64(probe)}
        )
        assert face_reasons(crossing) == {"face.matched": "release"}

    def test_another_persons_face_goes_to_the_officer(
        self, client: TestClient, session: Session
    ) -> None:
        researcher = enrolled(client, session)
        impostor = real_faces.other_people()[0]
        crossing = cross(
            client, researcher["document"], {"liveness": True, "probe_image": b64(impostor)}
        )
        assert crossing["decision"]["outcome"] == "inspect"
        assert face_reasons(crossing) == {"face.below_threshold": "inspect"}

    def test_after_consent_is_withdrawn_the_officer_checks(
        self, client: TestClient, session: Session
    ) -> None:
        researcher = enrolled(client, session)
        client.delete(f"/api/v1/persons/{researcher['person_id']}/face-enrolment")
        probe = real_faces.astronaut_at_the_gate()[0]
        crossing = cross(
            client, researcher["document"], {"liveness": True, "probe_image": b64(probe)}
        )
        assert crossing["decision"]["outcome"] == "inspect"
        assert face_reasons(crossing) == {"face.not_enrolled": "inspect"}

    def test_the_stored_event_keeps_the_probe_as_its_hash_only(
        self, client: TestClient, session: Session
    ) -> None:
        researcher = enrolled(client, session)
        probe = b64(real_faces.astronaut_at_the_gate()[0])
        crossing = cross(client, researcher["document"], {"liveness": True, "probe_image": probe})
        detail = client.get(f"/api/v1/crossings/{crossing['id']}").json()
        stored = detail["payload"]["subject"]["face"]["probe_image"]
        assert set(stored) == {"sha256"}
        assert probe not in str(detail)

    def test_a_probe_that_is_no_image_is_refused_naming_the_field(
        self, client: TestClient, session: Session
    ) -> None:
        researcher = enrolled(client, session)
        body = person_event(researcher["document"])
        body["subject"]["face"] = {"liveness": True, "probe_image": b64(b"GIF89a nonsense")}
        response = client.post("/api/v1/crossings", json=body)
        assert response.status_code == 422
        error = response.json()["errors"][0]
        assert error["field"] == "subject.face.probe_image"
        assert error["rule"] == "biometrics.image_unreadable"


class TestGatesOwnMatch:
    def test_the_gates_score_at_the_threshold_releases(
        self, client: TestClient, session: Session
    ) -> None:
        researcher = enrolled(client, session)
        claim = {"liveness": True, "score": 0.93, "device": "cam-7", "model_version": "v2"}
        crossing = cross(client, researcher["document"], claim)
        assert face_reasons(crossing) == {"face.matched": "release"}

    def test_a_claim_with_both_a_score_and_a_probe_is_refused(
        self, client: TestClient, session: Session
    ) -> None:
        researcher = enrolled(client, session)
        body = person_event(researcher["document"])
        body["subject"]["face"] = {
            "liveness": True,
            "score": 0.9,
            "device": "cam",
            "model_version": "v",
            "probe_image": b64(real_faces.astronaut()),
        }
        response = client.post("/api/v1/crossings", json=body)
        assert response.status_code == 422
        assert response.json()["errors"][0]["rule"] == "biometrics.one_claim"
