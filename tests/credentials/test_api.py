"""Zone credentials over HTTP: issue, show, revoke, keys, the signed list, online verification."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from credentials.support import whitelisted
from factories import bearer
from hetao.audit.service import Actor
from hetao.auth.principal import Role
from hetao.credentials import tokens as credentials
from hetao.profiles import ZoneProfile
from hetao.storage.types import utcnow

V = "/api/v1"


def person(session_maker: sessionmaker[Session], actor: Actor, profile: ZoneProfile) -> int:
    with session_maker() as session:
        researcher, _ = whitelisted(session, actor, profile)
        session.commit()
        return researcher.id


def party_of(session_maker: sessionmaker[Session], person_id: int) -> int:
    from hetao.registry.models import Affiliation

    with session_maker() as session:
        affiliation = session.query(Affiliation).filter_by(person_id=person_id).one()
        return affiliation.party_id


def issue(client: TestClient, person_id: int, **extra: Any) -> dict[str, Any]:
    response = client.post(f"{V}/credentials", json={"person_id": person_id, **extra})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def verify(client: TestClient, token: str) -> dict[str, Any]:
    response = client.post(f"{V}/credentials/verify", json={"token": token})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


class TestIssueAndVerify:
    def test_issue_then_verify_online_names_the_person(
        self,
        client: TestClient,
        session_maker: sessionmaker[Session],
        actor: Actor,
        profile: ZoneProfile,
    ) -> None:
        person_id = person(session_maker, actor, profile)
        issued = issue(client, person_id, crossing_points=["FBZ_CHANNEL_1"])
        assert issued["credential"]["status"] == "active"
        assert issued["credential"]["claims"]["crossing_points"] == ["FBZ_CHANNEL_1"]
        assert "token" not in client.get(f"{V}/credentials/{issued['credential']['id']}").json()
        answer = verify(client, issued["token"])
        assert (answer["status"], answer["person_id"]) == ("valid", person_id)

    def test_revocation_is_refused_online_from_the_next_request(
        self,
        client: TestClient,
        session_maker: sessionmaker[Session],
        actor: Actor,
        profile: ZoneProfile,
    ) -> None:
        issued = issue(client, person(session_maker, actor, profile))
        credential_id = issued["credential"]["id"]
        response = client.post(
            f"{V}/credentials/{credential_id}/revoke", json={"reason": "reported stolen"}
        )
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "revoked"
        assert verify(client, issued["token"])["status"] == "revoked"
        again = client.post(f"{V}/credentials/{credential_id}/revoke", json={"reason": "again"})
        assert again.status_code == 409

    def test_a_person_without_a_whitelist_entry_is_refused_by_rule(
        self, client: TestClient
    ) -> None:
        from factories import party_payload, person_payload

        party = client.post(f"{V}/parties", json=party_payload()).json()
        someone = client.post(f"{V}/persons", json=person_payload(party["id"])).json()
        response = client.post(f"{V}/credentials", json={"person_id": someone["id"]})
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["rule"] == "credential.whitelist_entry_in_force"

    def test_an_unknown_credential_is_404(self, client: TestClient) -> None:
        assert client.get(f"{V}/credentials/AAAAAAAAAAAAAAAAAAAAAA").status_code == 404


class TestOfflineMaterial:
    def test_the_published_keys_and_list_let_a_gate_decide_offline(
        self,
        client: TestClient,
        session_maker: sessionmaker[Session],
        actor: Actor,
        profile: ZoneProfile,
    ) -> None:
        kept = issue(client, person(session_maker, actor, profile))
        lost = issue(client, person(session_maker, actor, profile))
        client.post(
            f"{V}/credentials/{lost['credential']['id']}/revoke", json={"reason": "lost badge"}
        )
        keys = client.get(f"{V}/credentials/keys").json()["keys"]
        assert [k["current"] for k in keys].count(True) == 1
        ring = credentials.keyring(k["public_key_pem"] for k in keys)
        response = client.get(f"{V}/credentials/revocations")
        assert response.status_code == 200
        assert response.headers["ETag"]
        signed = credentials.SignedRevocationList.from_json(response.content)
        now = utcnow()

        def offline(token: str) -> str:
            verdict = credentials.verify_offline(
                token, keys=ring, at=now, revocations=signed, zone="hetao"
            )
            return str(verdict.status)

        assert offline(kept["token"]) == "valid"
        assert offline(lost["token"]) == "revoked"
        stale = now + credentials.MAX_REVOCATION_LIST_AGE + dt.timedelta(minutes=1)
        verdict = credentials.verify_offline(kept["token"], keys=ring, at=stale, revocations=signed)
        assert verdict.status == "revocation_unknown"


class TestAccess:
    def test_a_gate_device_reads_the_list_and_verifies_but_cannot_issue(
        self,
        anonymous_client: TestClient,
        client: TestClient,
        session_maker: sessionmaker[Session],
        actor: Actor,
        profile: ZoneProfile,
    ) -> None:
        from hetao.auth import service as auth

        issued = issue(client, person(session_maker, actor, profile))
        with session_maker() as session:
            _, raw = auth.issue_token(
                session,
                name="gate",
                roles=[Role.GATE_DEVICE],
                device_name="channel-1-gate-2",
                crossing_points=["FBZ_CHANNEL_1"],
                expires_at=utcnow() + dt.timedelta(days=1),
                actor=actor,
            )
            session.commit()
        gate = bearer(raw)
        assert anonymous_client.get(f"{V}/credentials/revocations", headers=gate).is_success
        answer = anonymous_client.post(
            f"{V}/credentials/verify", json={"token": issued["token"]}, headers=gate
        )
        assert answer.json()["status"] == "valid"
        refused = anonymous_client.post(f"{V}/credentials", json={"person_id": 1}, headers=gate)
        assert refused.status_code == 403

    def test_an_enterprise_user_issues_for_its_own_people_only(
        self,
        anonymous_client: TestClient,
        session_maker: sessionmaker[Session],
        token_for: Callable[..., str],
        actor: Actor,
        profile: ZoneProfile,
    ) -> None:
        mine = person(session_maker, actor, profile)
        theirs = person(session_maker, actor, profile)
        headers = bearer(token_for(Role.ENTERPRISE_USER, party_id=party_of(session_maker, mine)))
        own = anonymous_client.post(f"{V}/credentials", json={"person_id": mine}, headers=headers)
        assert own.status_code == 201, own.text
        other = anonymous_client.post(
            f"{V}/credentials", json={"person_id": theirs}, headers=headers
        )
        assert other.status_code == 404
        shown = anonymous_client.get(
            f"{V}/credentials/{own.json()['credential']['id']}", headers=headers
        )
        assert shown.status_code == 200

    def test_another_partys_credential_is_invisible_to_an_enterprise_user(
        self,
        anonymous_client: TestClient,
        client: TestClient,
        session_maker: sessionmaker[Session],
        token_for: Callable[..., str],
        actor: Actor,
        profile: ZoneProfile,
    ) -> None:
        theirs = issue(client, person(session_maker, actor, profile))
        mine = person(session_maker, actor, profile)
        headers = bearer(token_for(Role.ENTERPRISE_USER, party_id=party_of(session_maker, mine)))
        response = anonymous_client.get(
            f"{V}/credentials/{theirs['credential']['id']}", headers=headers
        )
        assert response.status_code == 404
