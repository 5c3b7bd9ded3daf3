"""Projects and fund transfers over HTTP: roles, confinement, problem+json, idempotent POSTs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from factories import bearer, make_party
from funds.support import TODAY, Consortium, transfer_body
from hetao.audit.service import Actor
from hetao.auth.principal import Role
from hetao.profiles import ZoneProfile

PROBLEM = "application/problem+json"
V = "/api/v1"


class World:
    """Two consortia (each a lead and a whitelisted HK partner), committed for the API to see."""

    def __init__(self, session_maker: sessionmaker[Session], profile: ZoneProfile) -> None:
        actor = Actor("test", "api")
        with session_maker() as session:
            self.ours = Consortium(session, actor, profile)
            self.theirs = Consortium(session, actor, profile)
            self.stranger = make_party(session, actor).id
            session.commit()

    def body(self, zone: Consortium | None = None, **overrides: Any) -> dict[str, Any]:
        zone = zone or self.ours
        return transfer_body(zone.project, zone.lead, zone.partner, **overrides)


@pytest.fixture
def world(session_maker: sessionmaker[Session], profile: ZoneProfile) -> World:
    return World(session_maker, profile)


@pytest.fixture
def as_role(
    anonymous_client: TestClient, token_for: Callable[..., str]
) -> Callable[..., dict[str, str]]:
    def headers(role: Role, party_id: int | None = None) -> dict[str, str]:
        return bearer(token_for(role, party_id=party_id))

    return headers


def post(client: TestClient, path: str, body: Any, headers: dict[str, str]) -> Any:
    return client.post(f"{V}{path}", json=body, headers=headers)


class TestWorkflow:
    def test_declare_check_approve_remit_report_and_the_reports_follow(
        self, anonymous_client: TestClient, world: World, as_role: Callable[..., dict[str, str]]
    ) -> None:
        client = anonymous_client
        payer = as_role(Role.ENTERPRISE_USER, world.ours.lead.id)
        reviewer = as_role(Role.ZONE_REVIEWER)
        declared = post(client, "/fund-transfers", world.body(amount="120000.00"), payer)
        assert declared.status_code == 201, declared.text
        transfer = declared.json()
        assert transfer["status"] == "declared"
        assert transfer["amount_cny"] == "120000.00"
        assert transfer["rates"]["sample"] is True
        tid = transfer["id"]

        checked = post(client, f"/fund-transfers/{tid}/check", None, reviewer).json()
        assert (checked["status"], checked["reasons"]) == ("checked", [])
        approved = post(client, f"/fund-transfers/{tid}/approve", {}, reviewer).json()
        assert approved["status"] == "approved"
        assert approved["tax_filing"] == {
            "required": False,
            "covered_by": None,
            "provisional": True,
        }
        remit = {"bank_reference": "BOCHK-2026-0001", "remitted_on": TODAY.isoformat()}
        assert post(client, f"/fund-transfers/{tid}/remit", remit, payer).json()["status"] == (
            "remitted"
        )
        reported = post(client, f"/fund-transfers/{tid}/report", {}, reviewer).json()
        assert reported["status"] == "reported"

        report = client.get(f"{V}/projects/{world.ours.project.id}/report", headers=payer).json()
        personnel = next(line for line in report["lines"] if line["category"] == "personnel")
        assert (personnel["consumed"], personnel["remaining"]) == ("120000.00", "880000.00")
        assert report["years"] == [
            {
                "year": 2026,
                "budget": "1500000.00",
                "consumed": "120000.00",
                "remaining": "1380000.00",
            }
        ]
        by_status = {row["status"]: row for row in report["transfers"]}
        assert by_status["reported"] == {
            "status": "reported",
            "count": 1,
            "amount_cny": "120000.00",
        }

        sources = client.get(f"{V}/reports/funds-by-source?year=2026", headers=reviewer).json()
        guangdong = next(s for s in sources["sources"] if s["funding_source"] == "guangdong")
        assert guangdong["projects"] == 2
        assert (guangdong["budget"], guangdong["consumed"]) == ("3000000.00", "120000.00")

    def test_a_failing_check_answers_held_with_the_reason(
        self, anonymous_client: TestClient, world: World, as_role: Callable[..., dict[str, str]]
    ) -> None:
        admin = as_role(Role.ADMINISTRATOR)
        tid = post(
            anonymous_client, "/fund-transfers", world.body(payee_rmb_account=None), admin
        ).json()["id"]
        held = post(anonymous_client, f"/fund-transfers/{tid}/check", None, admin).json()
        assert held["status"] == "held"
        assert held["reasons"] == [
            {
                "code": "R39.rmb_account_missing",
                "rule": "R39",
                "params": {},
                "text": {
                    "en": "A Hong Kong payee must give an RMB account (R39)",
                    "zh-Hant": "香港收款單位須提供人民幣賬戶(R39)",
                    "zh-Hans": "香港收款单位须提供人民币账户(R39)",
                },
            }
        ]
        refused = post(anonymous_client, f"/fund-transfers/{tid}/approve", {}, admin)
        assert refused.status_code == 422
        assert refused.json()["errors"][0] == {
            "field": "note",
            "rule": "transfer.note_required",
            "message": "is required to approve a held transfer",
        }
        approved = post(
            anonymous_client, f"/fund-transfers/{tid}/approve", {"note": "account given"}, admin
        )
        assert approved.json()["status"] == "approved"

    def test_approving_twice_is_a_409_naming_the_allowed_states(
        self, anonymous_client: TestClient, world: World, as_role: Callable[..., dict[str, str]]
    ) -> None:
        admin = as_role(Role.ADMINISTRATOR)
        tid = post(anonymous_client, "/fund-transfers", world.body(), admin).json()["id"]
        post(anonymous_client, f"/fund-transfers/{tid}/check", None, admin)
        post(anonymous_client, f"/fund-transfers/{tid}/approve", {}, admin)
        again = post(anonymous_client, f"/fund-transfers/{tid}/approve", {}, admin)
        assert again.status_code == 409
        assert again.json()["errors"][0]["rule"] == "transfer.approve.allowed_from"


class TestConfinement:
    def test_an_enterprise_user_cannot_see_another_partys_transfer(
        self, anonymous_client: TestClient, world: World, as_role: Callable[..., dict[str, str]]
    ) -> None:
        theirs = post(
            anonymous_client,
            "/fund-transfers",
            world.body(world.theirs),
            as_role(Role.ENTERPRISE_USER, world.theirs.lead.id),
        ).json()
        ours = as_role(Role.ENTERPRISE_USER, world.ours.lead.id)
        missing = anonymous_client.get(f"{V}/fund-transfers/{theirs['id']}", headers=ours)
        assert missing.status_code == 404
        assert missing.headers["content-type"] == PROBLEM
        nothing = anonymous_client.get(f"{V}/fund-transfers/999999", headers=ours)
        assert missing.json()["title"] == nothing.json()["title"]
        assert anonymous_client.get(f"{V}/fund-transfers", headers=ours).json()["items"] == []
        project = anonymous_client.get(f"{V}/projects/{world.theirs.project.id}", headers=ours)
        assert project.status_code == 404

    def test_the_payee_and_the_projects_members_see_the_transfer(
        self, anonymous_client: TestClient, world: World, as_role: Callable[..., dict[str, str]]
    ) -> None:
        tid = post(
            anonymous_client,
            "/fund-transfers",
            world.body(),
            as_role(Role.ENTERPRISE_USER, world.ours.lead.id),
        ).json()["id"]
        payee = as_role(Role.ENTERPRISE_USER, world.ours.partner.id)
        assert anonymous_client.get(f"{V}/fund-transfers/{tid}", headers=payee).status_code == 200
        listed = anonymous_client.get(f"{V}/fund-transfers", headers=payee).json()["items"]
        assert [t["id"] for t in listed] == [tid]
        # The payee sees the payment but does not record its remittance: the payer does.
        remit = {"bank_reference": "B-1", "remitted_on": TODAY.isoformat()}
        assert post(anonymous_client, f"/fund-transfers/{tid}/remit", remit, payee).status_code == (
            403
        )

    def test_an_enterprise_user_declares_its_own_payments_only(
        self, anonymous_client: TestClient, world: World, as_role: Callable[..., dict[str, str]]
    ) -> None:
        response = post(
            anonymous_client,
            "/fund-transfers",
            world.body(),
            as_role(Role.ENTERPRISE_USER, world.stranger),
        )
        assert response.status_code == 403

    @pytest.mark.parametrize("role", [Role.FIRST_LINE_OFFICER, Role.ENTERPRISE_USER])
    def test_only_the_zone_decides(
        self,
        anonymous_client: TestClient,
        world: World,
        as_role: Callable[..., dict[str, str]],
        role: Role,
    ) -> None:
        tid = post(
            anonymous_client, "/fund-transfers", world.body(), as_role(Role.ADMINISTRATOR)
        ).json()["id"]
        headers = as_role(role, world.ours.lead.id if role is Role.ENTERPRISE_USER else None)
        response = post(anonymous_client, f"/fund-transfers/{tid}/check", None, headers)
        assert response.status_code == 403


class TestProblems:
    def test_an_amount_with_three_decimals_names_the_field_and_rule(
        self, anonymous_client: TestClient, world: World, as_role: Callable[..., dict[str, str]]
    ) -> None:
        response = post(
            anonymous_client,
            "/fund-transfers",
            world.body(amount="10.005"),
            as_role(Role.ADMINISTRATOR),
        )
        assert response.status_code == 422
        assert response.headers["content-type"] == PROBLEM
        error = response.json()["errors"][0]
        assert (error["field"], error["rule"]) == ("amount", "money.places")

    def test_an_amount_as_a_json_number_is_refused(
        self, anonymous_client: TestClient, world: World, as_role: Callable[..., dict[str, str]]
    ) -> None:
        response = post(
            anonymous_client,
            "/fund-transfers",
            world.body(amount=10.5),
            as_role(Role.ADMINISTRATOR),
        )
        assert response.status_code == 422
        error = response.json()["errors"][0]
        assert (error["field"], error["rule"]) == ("amount", "decimal_string_required")

    def test_an_unknown_purpose_and_currency_are_named(
        self, anonymous_client: TestClient, world: World, as_role: Callable[..., dict[str, str]]
    ) -> None:
        response = post(
            anonymous_client,
            "/fund-transfers",
            world.body(purpose="gift", currency="XQZ"),
            as_role(Role.ADMINISTRATOR),
        )
        assert response.status_code == 422
        fields = {e["field"] for e in response.json()["errors"]}
        assert fields == {"purpose", "currency"}

    def test_a_project_without_a_budget_is_refused(
        self, anonymous_client: TestClient, world: World, as_role: Callable[..., dict[str, str]]
    ) -> None:
        body = {
            "code": "CN-2026-1",
            "title": "t",
            "lead_party_id": world.ours.lead.id,
            "funding_source": "central",
            "starts_on": "2026-01-01",
            "ends_on": "2026-12-31",
            "budget": [],
        }
        response = post(anonymous_client, "/projects", body, as_role(Role.ZONE_REVIEWER))
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "budget"


class TestIdempotency:
    def test_a_retry_with_the_same_key_returns_the_same_transfer(
        self, anonymous_client: TestClient, world: World, as_role: Callable[..., dict[str, str]]
    ) -> None:
        headers = {**as_role(Role.ENTERPRISE_USER, world.ours.lead.id), "Idempotency-Key": "pay-1"}
        body = world.body()
        first = post(anonymous_client, "/fund-transfers", body, headers)
        again = post(anonymous_client, "/fund-transfers", body, headers)
        assert first.status_code == again.status_code == 201
        assert again.json() == first.json()
        assert again.headers["Idempotent-Replayed"] == "true"
        listed = anonymous_client.get(f"{V}/fund-transfers", headers=headers).json()["items"]
        assert [t["id"] for t in listed] == [first.json()["id"]]

    def test_the_same_key_with_another_body_is_a_conflict(
        self, anonymous_client: TestClient, world: World, as_role: Callable[..., dict[str, str]]
    ) -> None:
        headers = {**as_role(Role.ENTERPRISE_USER, world.ours.lead.id), "Idempotency-Key": "pay-2"}
        post(anonymous_client, "/fund-transfers", world.body(amount="1.00"), headers)
        clash = post(anonymous_client, "/fund-transfers", world.body(amount="2.00"), headers)
        assert clash.status_code == 409
