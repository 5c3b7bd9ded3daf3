"""Declarations over HTTP: lodging, clearing, roles, and problem+json errors."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from declarations.fixtures import PROBLEM, Tokens, V, as_role
from declarations.support import admitted, body, line
from factories import bearer
from hetao.audit.service import Actor
from hetao.auth import service as auth
from hetao.auth.principal import Role
from hetao.cli import app
from hetao.declarations.kinds import DeclarationKind
from hetao.declarations.models import Declaration
from hetao.ledger.models import Lot
from hetao.profiles import ZoneProfile
from hetao.registry.models import Party
from hetao.storage.types import utcnow
from hetao.tax.rules import TAX_NAMES
from hetao.timeutil import zone_today


@pytest.fixture
def their_lot(session: Session, actor: Actor, profile: ZoneProfile, other: Party) -> Lot:
    found = admitted(session, other, profile, actor, bonded=True)
    session.commit()
    return found


def lodge(client: TestClient, document: dict[str, Any], **headers: str) -> Any:
    return client.post(f"{V}/declarations", json=document, headers=headers)


class TestDeclarations:
    def test_lodging_is_idempotent_by_reference_and_other_content_is_a_409(
        self, client: TestClient, party: Party, session: Session
    ) -> None:
        session.commit()
        document = body(party.id, DeclarationKind.FIRST_LINE_ENTRY, lines=[line(bonded=True)])
        first = lodge(client, document)
        assert first.status_code == 201, first.text
        again = lodge(client, document)
        assert again.status_code == 200
        assert again.json()["id"] == first.json()["id"]
        clash = lodge(client, {**document, "lines": [line(bonded=True, quantity="9")]})
        assert clash.status_code == 409
        assert clash.headers["content-type"] == PROBLEM
        assert clash.json()["errors"][0]["field"] == "reference"

    def test_an_idempotency_key_replays_the_first_answer(
        self, client: TestClient, party: Party, session: Session
    ) -> None:
        session.commit()
        document = body(party.id, DeclarationKind.FIRST_LINE_ENTRY)
        first = lodge(client, document, **{"Idempotency-Key": "lodge-1"})
        replay = lodge(client, document, **{"Idempotency-Key": "lodge-1"})
        assert replay.headers.get("Idempotent-Replayed") == "true"
        assert replay.json() == first.json()

    def test_an_r13_refusal_is_a_problem_naming_the_line_and_the_rule(
        self, client: TestClient, party: Party, session: Session
    ) -> None:
        session.commit()
        document = body(
            party.id,
            DeclarationKind.FIRST_LINE_ENTRY,
            crossing_point="FBZ_CHANNEL_1",
            hand_carried=True,
            lines=[line(bonded=True)],
        )
        response = lodge(client, document)
        assert response.status_code == 422
        assert response.headers["content-type"] == PROBLEM
        error = response.json()["errors"][0]
        assert (error["field"], error["rule"]) == ("lines[0].bonded", "R13.bonded_not_hand_carried")

    def test_a_float_quantity_is_refused_naming_the_field(
        self, client: TestClient, party: Party, session: Session
    ) -> None:
        session.commit()
        response = lodge(
            client, body(party.id, DeclarationKind.FIRST_LINE_ENTRY, lines=[line(quantity=2.5)])
        )
        assert response.status_code == 422
        error = response.json()["errors"][0]
        assert (error["field"], error["rule"]) == ("lines[0].quantity", "decimal_string_required")

    def test_officers_clear_the_declarations_of_their_own_line(
        self, client: TestClient, token_for: Tokens, party: Party, lot: Lot
    ) -> None:
        document = body(
            party.id,
            DeclarationKind.SECOND_LINE_EXIT,
            lines=[line(lot_id=lot.id, quantity="4", customs_value="4800.00")],
        )
        created = lodge(client, document).json()
        url = f"{V}/declarations/{created['id']}"
        first_line = as_role(token_for, Role.FIRST_LINE_OFFICER)
        assert client.post(f"{url}/clear", headers=first_line).status_code == 403
        second_line = as_role(token_for, Role.SECOND_LINE_OFFICER)
        cleared = client.post(f"{url}/clear", headers=second_line)
        assert cleared.status_code == 200, cleared.text
        out = cleared.json()
        assert (out["status"], out["tax_total"]) == ("cleared", "717.56")
        assert out["assessment"]["lines"][0]["rule"] == "R7.second_line_exit_taxed"
        again = client.post(f"{url}/clear", headers=second_line)
        assert again.json() == out
        shown = client.get(f"{V}/lots/{lot.id}").json()
        assert shown["lot"]["balance"] == "6.000"

    def test_a_cleared_assessment_gives_the_reasons_hetao_tax_assess_gives_for_its_request(
        self, client: TestClient, token_for: Tokens, party: Party, lot: Lot, tmp_path: Path
    ) -> None:
        # A small value: the duty is waived as de minimis, a reason with parameters.
        document = body(
            party.id,
            DeclarationKind.SECOND_LINE_EXIT,
            lines=[line(lot_id=lot.id, quantity="1", customs_value="100.00")],
        )
        created = lodge(client, document).json()
        second_line = as_role(token_for, Role.SECOND_LINE_OFFICER)
        cleared = client.post(f"{V}/declarations/{created['id']}/clear", headers=second_line)
        assert cleared.status_code == 200, cleared.text
        served = cleared.json()["assessment"]
        path = tmp_path / "request.json"
        path.write_text(json.dumps({"profile": served["profile"], **served["request"]}))
        printed = CliRunner().invoke(app, ["tax", "assess", str(path)])
        assert printed.exit_code == 0, printed.stderr
        by_cli = [line["reasons"] for line in json.loads(printed.stdout)["lines"]]
        assert by_cli == [line["reasons"] for line in served["lines"]]
        assert [(reason["code"], reason["params"].get("tax")) for reason in by_cli[0]] == [
            ("R7.second_line_exit_taxed", None),
            ("E.de_minimis", TAX_NAMES["duty"]),
            ("E.de_minimis", TAX_NAMES["import_vat"]),
        ]

    def test_an_assessment_stored_before_reasons_is_served_with_those_of_its_rule_codes(
        self, client: TestClient, token_for: Tokens, session: Session, party: Party, lot: Lot
    ) -> None:
        document = body(
            party.id,
            DeclarationKind.SECOND_LINE_EXIT,
            lines=[line(lot_id=lot.id, quantity="1", customs_value="100.00")],
        )
        created = lodge(client, document).json()
        second_line = as_role(token_for, Role.SECOND_LINE_OFFICER)
        url = f"{V}/declarations/{created['id']}"
        served = client.post(f"{url}/clear", headers=second_line).json()["assessment"]
        stored = session.get(Declaration, created["id"])
        assert stored is not None
        session.refresh(stored)
        old = [{k: v for k, v in line.items() if k != "reasons"} for line in served["lines"]]
        stored.assessment = {**served, "lines": old}
        session.commit()
        (shown,) = client.get(url, headers=second_line).json()["assessment"]["lines"]
        rule, de_minimis = shown["reasons"]
        assert rule == served["lines"][0]["reasons"][0]
        # The old record kept no amounts: the code stands for its text.
        assert (de_minimis["code"], de_minimis["params"]) == ("E.de_minimis", {})
        assert de_minimis["text"]["zh-Hant"] == "E.de_minimis"

    def test_accept_then_refuse_with_a_reason_and_refusing_again_is_a_409(
        self, client: TestClient, party: Party, session: Session
    ) -> None:
        session.commit()
        created = lodge(client, body(party.id, DeclarationKind.FIRST_LINE_ENTRY)).json()
        url = f"{V}/declarations/{created['id']}"
        assert client.post(f"{url}/accept").json()["status"] == "accepted"
        refused = client.post(f"{url}/refuse", json={"reason": "permit missing"})
        assert (refused.json()["status"], refused.json()["refusal_reason"]) == (
            "refused",
            "permit missing",
        )
        again = client.post(f"{url}/refuse", json={"reason": "again"})
        assert again.status_code == 409
        assert again.json()["errors"][0]["rule"] == "declaration.refuse.allowed_from"

    def test_list_and_show_declarations(
        self, client: TestClient, party: Party, session: Session
    ) -> None:
        session.commit()
        created = lodge(client, body(party.id, DeclarationKind.FIRST_LINE_ENTRY)).json()
        listed = client.get(f"{V}/declarations", params={"party_id": party.id, "limit": 1})
        assert [d["id"] for d in listed.json()["items"]] == [created["id"]]
        shown = client.get(f"{V}/declarations/{created['id']}").json()
        assert shown["lines"][0]["hs_code"] == "382219"

    def test_R12_each_answer_names_the_catalogue_row_listing_a_line(  # noqa: N802 - rule
        self, client: TestClient, party: Party, session: Session
    ) -> None:
        # Absolute ethanol, not declared legally inspected: the sample catalogue lists 2207.10.
        session.commit()
        ethanol = line(hs_code="2207.10", goods_kind="consumables", unit="l")
        document = body(party.id, DeclarationKind.FIRST_LINE_ENTRY, lines=[line(), ethanol])
        created = lodge(client, document)
        assert created.status_code == 201, created.text
        row = "LI-CHEM-ETHANOL (SAMPLE-2026.1)"
        listed = client.get(f"{V}/declarations", params={"party_id": party.id}).json()["items"]
        shown = client.get(f"{V}/declarations/{created.json()['id']}").json()
        for answer in (created.json(), listed[0], shown):
            assert [entry["inspection_listing"] for entry in answer["lines"]] == [None, row]
            assert [entry["legally_inspected"] for entry in answer["lines"]] == [False, False]


class TestEnterpriseUser:
    def test_declares_and_reads_for_its_own_party_only(
        self,
        client: TestClient,
        token_for: Tokens,
        party: Party,
        other: Party,
        lot: Lot,
        their_lot: Lot,
    ) -> None:
        mine = as_role(token_for, Role.ENTERPRISE_USER, party)
        own = lodge(client, body(party.id, DeclarationKind.FIRST_LINE_ENTRY), **mine)
        assert own.status_code == 201, own.text
        assert (
            lodge(client, body(other.id, DeclarationKind.FIRST_LINE_ENTRY), **mine).status_code
            == 403
        )
        theirs = lodge(client, body(other.id, DeclarationKind.FIRST_LINE_ENTRY)).json()
        hidden = client.get(f"{V}/declarations/{theirs['id']}", headers=mine)
        assert hidden.status_code == 404
        assert hidden.headers["content-type"] == PROBLEM
        listed = client.get(f"{V}/declarations", headers=mine).json()["items"]
        assert {d["party_id"] for d in listed} == {party.id}
        assert client.get(f"{V}/lots/{lot.id}", headers=mine).status_code == 200
        assert client.get(f"{V}/lots/{their_lot.id}", headers=mine).status_code == 404
        lots = client.get(f"{V}/lots", params={"party_id": other.id}, headers=mine).json()
        assert lots["items"] == []
        today = zone_today("Asia/Shanghai").isoformat()
        period = {"from": today, "to": today}
        statement = f"{V}/parties/{other.id}/statement"
        assert client.get(statement, params=period, headers=mine).status_code == 404
        assert (
            client.post(f"{V}/declarations/{own.json()['id']}/clear", headers=mine).status_code
            == 403
        )

    def test_a_gate_device_has_no_business_here(
        self, client: TestClient, session: Session, actor: Actor
    ) -> None:
        _, raw = auth.issue_token(
            session,
            name="gate",
            roles=[Role.GATE_DEVICE],
            device_name="gate-1",
            crossing_points=["FBZ_CHANNEL_1"],
            expires_at=utcnow() + dt.timedelta(days=1),
            actor=actor,
        )
        session.commit()
        response = client.get(f"{V}/declarations", headers=bearer(raw))
        assert response.status_code == 403
