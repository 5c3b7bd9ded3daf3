"""Gathered and posted: R15 permits only where the profile asks; R6 bars the claim, not goods."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from crossing.events.support import event_id, record
from crossing.events.test_api import GateToken, gate  # noqa: F401 - the fixture
from crossing.events.test_gather import ADMIN, consignment_event, whitelisted_party
from declarations.support import line, submit
from factories import make_party, vehicle_payload
from hetao.audit.service import Actor
from hetao.crossing.gather import zone_day
from hetao.declarations.kinds import DeclarationKind
from hetao.profiles import Flow, Line, ZoneProfile, load_profile
from hetao.registry import parties as registry_parties
from hetao.registry import standings as registry_standings
from hetao.registry.schemas import VehicleCreate, WaiverCreate
from hetao.storage.types import utcnow

V = "/api/v1"


def vehicle_event(point: str, plate: str) -> dict[str, Any]:
    return {
        "event_id": event_id(),
        "crossing_point": point,
        "direction": "inbound",
        "occurred_at": utcnow().isoformat(),
        "subject": {"type": "vehicle", "plate": plate},
    }


def registered_car(
    session_maker: sessionmaker[Session], actor: Actor, profile: ZoneProfile, *permit_points: str
) -> str:
    """A car of a party not on the whitelist, with a permit naming ``permit_points`` if any."""
    with session_maker() as s:
        owner = make_party(s, actor)
        payload = vehicle_payload(owner.id)
        if permit_points:
            payload["permits"][0]["crossing_points"] = list(permit_points)
        else:
            payload["permits"] = []
        vehicle = registry_parties.create_vehicle(
            s, VehicleCreate(**payload), profile=profile, actor=actor
        )
        s.commit()
        return vehicle.plate


def posted(client: TestClient, headers: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(f"{V}/crossings", json=body, headers=headers)
    assert response.status_code == 201, response.text
    decision: dict[str, Any] = response.json()["decision"]
    return decision


def reason_codes(decision: dict[str, Any]) -> list[str]:
    return [r["code"] for r in decision["reasons"]]


class TestR15PublicPortsOfEveryProfile:
    @pytest.fixture(params=["hetao", "hengqin", "hainan"])
    def profile(self, request: pytest.FixtureRequest) -> ZoneProfile:
        return load_profile(request.param)

    def test_R15_a_car_without_a_permit_is_not_refused_at_a_public_port(  # noqa: N802
        self,
        anonymous_client: TestClient,
        gate: GateToken,  # noqa: F811 - the fixture
        session_maker: sessionmaker[Session],
        actor: Actor,
        profile: ZoneProfile,
    ) -> None:
        port = next(
            p
            for p in profile.crossing_points
            if p.line is Line.FIRST and not p.whitelist_only and Flow.VEHICLES in p.flows
        )
        plate = registered_car(session_maker, actor, profile)

        decision = posted(anonymous_client, gate(port.code), vehicle_event(port.code, plate))

        assert "R15.permit_invalid" not in reason_codes(decision)
        assert decision["outcome"] != "refuse"


class TestR15Channel1:
    def test_R15_channel_1_demands_the_channel_1_permit_through_the_api(  # noqa: N802
        self,
        anonymous_client: TestClient,
        gate: GateToken,  # noqa: F811 - the fixture
        session_maker: sessionmaker[Session],
        actor: Actor,
        profile: ZoneProfile,
    ) -> None:
        headers = gate("FBZ_CHANNEL_1")
        without = registered_car(session_maker, actor, profile, "HUANGGANG")
        held = registered_car(session_maker, actor, profile, "FBZ_CHANNEL_1")

        refused = posted(anonymous_client, headers, vehicle_event("FBZ_CHANNEL_1", without))
        permitted = posted(anonymous_client, headers, vehicle_event("FBZ_CHANNEL_1", held))

        assert refused["outcome"] == "refuse"
        assert "R15.permit_invalid" in reason_codes(refused)
        assert "R15.permit_invalid" not in reason_codes(permitted)

    def test_R15_the_points_named_by_valid_permits_are_gathered(  # noqa: N802
        self,
        session: Session,
        session_maker: sessionmaker[Session],
        actor: Actor,
        profile: ZoneProfile,
    ) -> None:
        plate = registered_car(session_maker, actor, profile, "FBZ_CHANNEL_1", "HUANGGANG")
        event, _ = record(session, profile, vehicle_event("HUANGGANG", plate), device=ADMIN)
        facts = event.decision.inputs["subject"]
        assert facts["permit_points"] == ["FBZ_CHANNEL_1", "HUANGGANG"]
        assert "permit_valid_here" not in facts


class TestR6TheWaiverBarsTheClaim:
    def test_R6_duty_paid_goods_of_a_waived_kind_cross_and_an_exempt_claim_is_refused(  # noqa: N802
        self, session: Session, actor: Actor, profile: ZoneProfile
    ) -> None:
        party = whitelisted_party(session, actor, profile)
        # Claimed before the waiver (after it, the ledger refuses the claim itself).
        today = zone_day(utcnow(), profile).isoformat()  # the entry is in force from today
        claim = submit(
            session, party, profile, actor, DeclarationKind.FIRST_LINE_ENTRY,
            lines=[line(research_own_use=True)], declared_on=today,
        )  # fmt: skip
        registry_standings.waive_exemption(
            session, party, WaiverCreate(goods_kind="reagents"), profile=profile, actor=actor
        )
        paid = submit(
            session, party, profile, actor, DeclarationKind.FIRST_LINE_ENTRY, lines=[line()]
        )

        paid_event, _ = record(
            session, profile, consignment_event(declaration_id=paid.id), device=ADMIN
        )
        claim_event, _ = record(
            session, profile, consignment_event(declaration_id=claim.id), device=ADMIN
        )

        paid_facts = paid_event.decision.inputs["subject"]
        assert paid_facts["party"]["whitelist"]["locked_out_goods_kinds"] == ["reagents"]
        assert paid_facts["lines"][0]["customs_status"] == "duty_paid"
        assert "whitelist.locked_out" not in [r["code"] for r in paid_event.decision.reasons]
        assert claim_event.decision.inputs["subject"]["lines"][0]["customs_status"] == (
            "duty_free_research"
        )
        assert "whitelist.locked_out" in [r["code"] for r in claim_event.decision.reasons]
        assert claim_event.decision.outcome == "refuse"
