"""Data transfers over HTTP: the workflow by its roles, the channel and its retries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from datatransfer.support import active, application_payload, batch, exporter, whitelist
from factories import bearer, make_party
from hetao.audit.models import AuditEvent
from hetao.audit.service import Actor
from hetao.auth import service as auth
from hetao.auth.principal import Role
from hetao.datatransfer.models import ChannelBatch
from hetao.profiles import ZoneProfile
from hetao.storage.types import utcnow

V = "/api/v1/data-transfers"
ACTOR = Actor("test", "setup")
ROUTE_FACTS: dict[str, Any] = {
    "cii_operator": False,
    "important_data": False,
    "personal_info_subjects": 100_000,
    "sensitive_personal_info_subjects": 0,
    "year_to_date": {"personal_info_subjects": 0, "sensitive_personal_info_subjects": 0},
    "exporter_region": "Shenzhen",
    "recipient_region": "MO",
    "purpose": "research",
}


def device_headers(session_maker: sessionmaker[Session]) -> dict[str, str]:
    with session_maker() as session:
        _, raw = auth.issue_token(
            session,
            name="data channel integration",
            roles=[Role.GATE_DEVICE],
            device_name="data-channel-1",
            crossing_points=["FBZ_CHANNEL_1"],
            expires_at=utcnow() + dt.timedelta(days=1),
            actor=ACTOR,
        )
        session.commit()
    return bearer(raw)


def whitelisted_party(session_maker: sessionmaker[Session], profile: ZoneProfile) -> int:
    with session_maker() as session:
        party = exporter(session, ACTOR, profile)
        session.commit()
        return party.id


def ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


class TestRouting:
    def test_r37_the_route_endpoint_answers_without_writing(
        self, client: TestClient, session_maker: sessionmaker[Session]
    ) -> None:
        with session_maker() as session:
            before = session.scalar(select(func.count()).select_from(AuditEvent))
        body = ok(client.post(f"{V}/route", json=ROUTE_FACTS))
        assert (body["route"], body["rule"]) == ("standard_contract", "R34")
        assert body["alternatives"] == ["certification"]
        assert "R37.macao_not_covered" in [r["code"] for r in body["reasons"]]
        with session_maker() as session:
            assert session.scalar(select(func.count()).select_from(AuditEvent)) == before

    def test_a_negative_count_is_a_422_naming_the_key(self, client: TestClient) -> None:
        response = client.post(
            f"{V}/route", json={**ROUTE_FACTS, "sensitive_personal_info_subjects": -1}
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "sensitive_personal_info_subjects"


class TestWorkflowOverHttp:
    def test_an_exporter_goes_from_draft_to_active_and_its_channel_logs_batches(
        self,
        anonymous_client: TestClient,
        token_for: Callable[..., str],
        session_maker: sessionmaker[Session],
        profile: ZoneProfile,
    ) -> None:
        party_id = whitelisted_party(session_maker, profile)
        exporter_user = bearer(token_for(Role.ENTERPRISE_USER, party_id=party_id))
        reviewer = bearer(token_for(Role.ZONE_REVIEWER))
        device = device_headers(session_maker)
        c = anonymous_client

        created = ok(c.post(V, json=application_payload(party_id), headers=exporter_user), 201)
        app_url = f"{V}/{created['id']}"
        assessed = ok(c.post(f"{app_url}/self-assess", headers=exporter_user))
        assert (assessed["status"], assessed["route"]) == ("self_assessed", "gba_standard_contract")
        ok(c.post(f"{app_url}/file", json={"reference": "GBA-2026-001"}, headers=exporter_user))
        # The exporter cannot approve its own filing.
        denied = c.post(f"{app_url}/approve", json={"reference": "X"}, headers=exporter_user)
        assert denied.status_code == 403
        ok(c.post(f"{app_url}/approve", json={"reference": "CAC-OK-1"}, headers=reviewer))
        activated = ok(c.post(f"{app_url}/activate", json={}, headers=reviewer))
        assert activated["status"] == "active"
        assert activated["renewal_window_opens_on"] < activated["valid_until"]

        refused = ok(
            c.post(
                f"{app_url}/batches",
                json=batch(record_counts={"payroll": 1}).model_dump(mode="json"),
                headers=device,
            ),
            201,
        )
        assert (refused["status"], refused["reasons"][0]["code"]) == (
            "refused",
            "category_outside_scope",
        )
        recorded = ok(
            c.post(f"{app_url}/batches", json=batch().model_dump(mode="json"), headers=device),
            201,
        )
        assert recorded["status"] == "recorded"
        log = ok(c.get(f"{app_url}/batches", headers=exporter_user))
        assert [b["status"] for b in log["items"]] == ["refused", "recorded"]

    def test_a_retried_batch_over_http_loses_nothing_and_duplicates_nothing(
        self,
        client: TestClient,
        session_maker: sessionmaker[Session],
        profile: ZoneProfile,
    ) -> None:
        with session_maker() as session:
            application = active(session, ACTOR, profile, exporter(session, ACTOR, profile))
            session.commit()
            url = f"{V}/{application.id}/batches"
        body = batch().model_dump(mode="json")
        first = ok(client.post(url, json=body), 201)
        # The channel lost the answer and posts again: no Idempotency-Key, same batch id.
        again = ok(client.post(url, json=body))
        assert again == first
        # With an Idempotency-Key the API replays too.
        keyed = batch().model_dump(mode="json")
        one = ok(client.post(url, json=keyed, headers={"Idempotency-Key": "b-1"}), 201)
        two = client.post(url, json=keyed, headers={"Idempotency-Key": "b-1"})
        assert two.headers["Idempotent-Replayed"] == "true"
        assert two.json() == one
        conflict = client.post(url, json={**body, "size_bytes": body["size_bytes"] + 1})
        assert conflict.status_code == 409
        assert conflict.json()["errors"][0]["rule"] == "data.batch_id_reused"
        with session_maker() as session:
            rows = session.scalars(
                select(ChannelBatch).where(ChannelBatch.application_id == application.id)
            ).all()
            assert sorted(r.batch_id for r in rows) == sorted([body["batch_id"], keyed["batch_id"]])
            events = session.scalars(
                select(AuditEvent.tag).where(AuditEvent.subject_type == "channel_batch")
            ).all()
            assert len([e for e in events if e == "data:batch:record"]) >= 2

    def test_the_batch_body_refuses_the_data_itself(
        self, client: TestClient, session_maker: sessionmaker[Session], profile: ZoneProfile
    ) -> None:
        with session_maker() as session:
            application = active(session, ACTOR, profile, exporter(session, ACTOR, profile))
            session.commit()
        body = {**batch().model_dump(mode="json"), "payload": "c2VjcmV0"}
        response = client.post(f"{V}/{application.id}/batches", json=body)
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "payload"

    def test_a_bad_digest_is_refused_naming_the_key(
        self, client: TestClient, session_maker: sessionmaker[Session], profile: ZoneProfile
    ) -> None:
        with session_maker() as session:
            application = active(session, ACTOR, profile, exporter(session, ACTOR, profile))
            session.commit()
        body = {**batch().model_dump(mode="json"), "digest": "z" * 64}
        response = client.post(f"{V}/{application.id}/batches", json=body)
        assert response.status_code == 422
        assert response.json()["errors"][0]["rule"] == "sha256.hex"


class TestConfinement:
    def test_another_party_s_application_answers_404_and_lists_stay_empty(
        self,
        anonymous_client: TestClient,
        token_for: Callable[..., str],
        session_maker: sessionmaker[Session],
        profile: ZoneProfile,
    ) -> None:
        other = whitelisted_party(session_maker, profile)
        with session_maker() as session:
            mine = make_party(session, ACTOR)
            whitelist(session, ACTOR, profile, mine.id)
            session.commit()
            mine_id = mine.id
        admin = bearer(token_for(Role.ADMINISTRATOR))
        theirs = ok(anonymous_client.post(V, json=application_payload(other), headers=admin), 201)
        me = bearer(token_for(Role.ENTERPRISE_USER, party_id=mine_id))
        assert anonymous_client.get(f"{V}/{theirs['id']}", headers=me).status_code == 404
        assert (
            anonymous_client.post(f"{V}/{theirs['id']}/self-assess", headers=me).status_code == 404
        )
        listed = ok(anonymous_client.get(f"{V}?exporter_party_id={other}", headers=me))
        assert listed["items"] == []
        opened = anonymous_client.post(V, json=application_payload(other), headers=me)
        assert opened.status_code == 403
