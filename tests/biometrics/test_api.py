"""Face enrolment over HTTP: consent recorded, the template never answered, bad images named."""

from __future__ import annotations

import base64
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from biometrics import real_faces
from biometrics.support import ACTOR
from crossing.events.support import whitelisted_person
from factories import bearer
from hetao.auth.principal import Role
from hetao.profiles import load_profile

PROFILE = load_profile("hetao")


def researcher(session: Session) -> int:
    person, _, _ = whitelisted_person(session, ACTOR, PROFILE)
    session.commit()
    return person.id


def body(image: bytes | str, **overrides: object) -> dict[str, object]:
    encoded = image if isinstance(image, str) else base64.b64encode(image).decode()
    return {"image": encoded, "purpose": "laboratory access", "consent": True, **overrides}


class TestEnrolmentApi:
    def test_enrols_and_answers_without_the_template(
        self, client: TestClient, session: Session
    ) -> None:
        person_id = researcher(session)
        response = client.put(
            f"/api/v1/persons/{person_id}/face-enrolment", json=body(real_faces.astronaut())
        )
        assert response.status_code == 200, response.text
        answer = response.json()
        assert answer["status"] == "enrolled"
        assert "template" not in str(answer).replace("template_", "")
        shown = client.get(f"/api/v1/persons/{person_id}/face-enrolment").json()
        assert shown["purpose"] == "laboratory access"

    def test_withdrawal_answers_withdrawn_and_again_the_same(
        self, client: TestClient, session: Session
    ) -> None:
        person_id = researcher(session)
        client.put(f"/api/v1/persons/{person_id}/face-enrolment", json=body(real_faces.astronaut()))
        first = client.delete(f"/api/v1/persons/{person_id}/face-enrolment")
        again = client.delete(f"/api/v1/persons/{person_id}/face-enrolment")
        assert (first.status_code, again.status_code) == (200, 200)
        assert first.json()["status"] == again.json()["status"] == "withdrawn"

    def test_names_the_field_and_rule_of_an_image_that_is_not_base64(
        self, client: TestClient, session: Session
    ) -> None:
        person_id = researcher(session)
        response = client.put(f"/api/v1/persons/{person_id}/face-enrolment", json=body("@@@"))
        assert response.status_code == 422
        error = response.json()["errors"][0]
        assert (error["field"], error["rule"]) == ("image", "biometrics.image_not_base64")

    def test_names_the_rule_of_bytes_that_are_no_image(
        self, client: TestClient, session: Session
    ) -> None:
        person_id = researcher(session)
        response = client.put(
            f"/api/v1/persons/{person_id}/face-enrolment", json=body(b"%PDF-1.7 not a face")
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["rule"] == "biometrics.image_unreadable"

    def test_an_officer_may_not_enrol(
        self, anonymous_client: TestClient, token_for: Callable[..., str], session: Session
    ) -> None:
        person_id = researcher(session)
        anonymous_client.headers.update(bearer(token_for(Role.FIRST_LINE_OFFICER)))
        response = anonymous_client.put(
            f"/api/v1/persons/{person_id}/face-enrolment", json=body(real_faces.astronaut())
        )
        assert response.status_code == 403
