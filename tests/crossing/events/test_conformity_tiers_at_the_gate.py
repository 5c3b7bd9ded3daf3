"""R12 at the gate: ``POST /api/v1/crossings`` gives each legally inspected line of a cleared
first-line entry the conformity-assessment tier of the crossing's risk lane, read from the
declaration in the database, and the stored decision replays."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from crossing.events.support import office_hours
from crossing.events.test_declaration_at_the_gate import V, goods_event, post, zone
from declarations.support import line
from hetao.audit.service import Actor
from hetao.crossing import service
from hetao.crossing.gather import zone_day
from hetao.crossing.models import CrossingEvent
from hetao.declarations.kinds import DeclarationKind
from hetao.profiles import ZoneProfile
from hetao.reference_versions import service as reference_versions
from hetao.reference_versions.models import TableKind

R12_CODES = {"R12.document_check", "R12.sampling", "R12.full_inspection"}
#: A complete equipment set for making semiconductors (HS 8486.20), HKD 1.5 million: above
#: CNY 1 million, so the shipped "high-value" table scores it 45 (yellow lane).
EQUIPMENT = {
    "hs_code": "8486.20",
    "description": "Wafer stepper",
    "quantity": "1",
    "unit": "set",
    "customs_value": "1500000.00",
    "goods_kind": "equipment",
}


def r12(decision: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(code, subject, outcome) of each R12 reason of a decision."""
    return [
        (r["code"], r["subject"], r["outcome"])
        for r in decision["reasons"]
        if r["code"] in R12_CODES
    ]


def tier_code(profile: ZoneProfile, lane: str) -> str:
    return f"R12.{profile.goods.conformity_tier(lane).value}"


def replays(client: TestClient, decision: dict[str, Any]) -> None:
    response = client.post(f"{V}/crossings/{decision['crossing_id']}/replay")
    assert response.status_code == 200, response.text
    assert response.json()["matches"] is True, response.json()["differences"]


class TestTierAtTheGate:
    def test_R12_a_legally_inspected_line_gets_the_tier_of_its_lane(  # noqa: N802 - rule
        self,
        client: TestClient,
        session_maker: sessionmaker[Session],
        actor: Actor,
        profile: ZoneProfile,
    ) -> None:
        declaration_id = zone(session_maker, actor, profile).declaration(
            DeclarationKind.FIRST_LINE_ENTRY,
            lines=[
                line(research_own_use=True),
                line(research_own_use=True, legally_inspected=True),
            ],
        )

        decision = post(
            client, goods_event("HUANGGANG", "inbound", {"declaration_id": declaration_id})
        )

        assert decision["outcome"] != "refuse", decision["reasons"]
        code = tier_code(profile, decision["lane"])
        tier_outcome = "release" if code == "R12.document_check" else "inspect"
        assert r12(decision) == [(code, "line[2]", tier_outcome)]  # line 1 is not inspected
        stored = decision["inputs"]["subject"]["lines"]
        assert [entry.get("legally_inspected", False) for entry in stored] == [False, True]
        replays(client, decision)

    def test_R12_a_low_risk_line_is_released_on_a_document_check(  # noqa: N802 - rule
        self,
        client: TestClient,
        session_maker: sessionmaker[Session],
        actor: Actor,
        profile: ZoneProfile,
    ) -> None:
        declaration_id = zone(session_maker, actor, profile).declaration(
            DeclarationKind.FIRST_LINE_ENTRY,
            lines=[line(research_own_use=True, legally_inspected=True)],
        )

        decision = post(
            client, goods_event("HUANGGANG", "inbound", {"declaration_id": declaration_id})
        )

        assert decision["lane"] == "green"
        [(code, subject, outcome)] = r12(decision)
        assert (code, subject, outcome) == ("R12.document_check", "line[1]", "release")
        [reason] = [r for r in decision["reasons"] if r["code"] == code]
        assert reason["text"]["en"] == (
            "Legally inspected goods on line 1: released on a document check (Green lane, R12)"
        )
        replays(client, decision)

    def test_R12_a_yellow_lane_line_is_sampled_and_inspected(  # noqa: N802 - rule
        self,
        client: TestClient,
        session_maker: sessionmaker[Session],
        actor: Actor,
        profile: ZoneProfile,
    ) -> None:
        declaration_id = zone(session_maker, actor, profile).declaration(
            DeclarationKind.FIRST_LINE_ENTRY,
            lines=[line(**EQUIPMENT, research_own_use=True, legally_inspected=True)],
        )

        decision = post(
            client, goods_event("HUANGGANG", "inbound", {"declaration_id": declaration_id})
        )

        assert decision["lane"] == "yellow", decision["reasons"]
        assert r12(decision) == [("R12.sampling", "line[1]", "inspect")]
        assert decision["outcome"] == "inspect"
        replays(client, decision)

    def test_R12_a_line_not_legally_inspected_gets_no_tier(  # noqa: N802 - rule
        self,
        client: TestClient,
        session_maker: sessionmaker[Session],
        actor: Actor,
        profile: ZoneProfile,
    ) -> None:
        declaration_id = zone(session_maker, actor, profile).declaration(
            DeclarationKind.FIRST_LINE_ENTRY
        )

        decision = post(
            client, goods_event("HUANGGANG", "inbound", {"declaration_id": declaration_id})
        )

        assert decision["outcome"] != "refuse", decision["reasons"]
        assert r12(decision) == []
        assert "legally_inspected" not in decision["inputs"]["subject"]["lines"][0]
        replays(client, decision)

    def test_R12_the_stored_decision_replays_through_the_service(  # noqa: N802 - rule
        self,
        client: TestClient,
        session_maker: sessionmaker[Session],
        actor: Actor,
        profile: ZoneProfile,
    ) -> None:
        declaration_id = zone(session_maker, actor, profile).declaration(
            DeclarationKind.FIRST_LINE_ENTRY,
            crossing_point="FBZ_CHANNEL_1",
            lines=[line(research_own_use=True, legally_inspected=True)],
        )

        decision = post(
            client, goods_event("FBZ_CHANNEL_1", "inbound", {"declaration_id": declaration_id})
        )

        assert [code for code, _, _ in r12(decision)] == [tier_code(profile, decision["lane"])]
        with session_maker() as s:
            event = s.get(CrossingEvent, decision["crossing_id"])
            assert event is not None
            result = service.replay(s, event.decision, profile=profile)
        assert result.matches, result.differences
        assert [r["code"] for r in result.replayed["reasons"] if r["code"] in R12_CODES] == [
            tier_code(profile, decision["lane"])
        ]


#: Absolute ethanol (HS 2207.10): the shipped sample catalogue lists it, row LI-CHEM-ETHANOL.
ETHANOL = {
    "hs_code": "2207.10",
    "description": "Ethanol, absolute, laboratory grade",
    "quantity": "10",
    "unit": "l",
    "customs_value": "180.00",
    "goods_kind": "consumables",
}
CATALOGUE_HEADER = "version,kind,row_id,code,valid_from,valid_to,description,source"


class TestTheCatalogueDecides:
    """The legal-inspection catalogue in force on the day, not the declarant, says which goods
    are legally inspected (R12)."""

    def test_R12_goods_the_catalogue_lists_are_inspected_though_not_declared_so(  # noqa: N802
        self,
        client: TestClient,
        session_maker: sessionmaker[Session],
        actor: Actor,
        profile: ZoneProfile,
    ) -> None:
        declaration_id = zone(session_maker, actor, profile).declaration(
            DeclarationKind.FIRST_LINE_ENTRY,
            lines=[line(research_own_use=True), line(**ETHANOL, research_own_use=True)],
        )

        decision = post(
            client, goods_event("HUANGGANG", "inbound", {"declaration_id": declaration_id})
        )

        assert decision["outcome"] != "refuse", decision["reasons"]
        code = tier_code(profile, decision["lane"])
        tier_outcome = "release" if code == "R12.document_check" else "inspect"
        catalogued = [r for r in decision["reasons"] if r["code"] == "R12.catalogued"]
        assert [(r["subject"], r["outcome"]) for r in catalogued] == [("line[2]", tier_outcome)]
        assert catalogued[0]["text"]["en"] == (
            "Line 2 (220710) is on the legal-inspection catalogue:"
            " row LI-CHEM-ETHANOL (SAMPLE-2026.1) (R12)"
        )
        assert "法定檢驗目錄" in catalogued[0]["text"]["zh-Hant"]
        assert r12(decision) == [(code, "line[2]", tier_outcome)]
        stored = decision["inputs"]["subject"]["lines"]
        assert [entry.get("inspection_listing") for entry in stored] == [
            None,
            "LI-CHEM-ETHANOL (SAMPLE-2026.1)",
        ]
        assert [entry.get("legally_inspected", False) for entry in stored] == [False, True]
        replays(client, decision)

    def test_R12_a_catalogue_version_in_force_that_drops_the_goods_frees_them(  # noqa: N802
        self,
        client: TestClient,
        session_maker: sessionmaker[Session],
        actor: Actor,
        profile: ZoneProfile,
    ) -> None:
        # The gate's events happen at the last 10:00 at the zone: the version is in force by then.
        today = zone_day(office_hours(), profile)
        heaters_only = "\n".join(
            [
                CATALOGUE_HEADER,
                f"LI-2026.9,official,LI-HEATERS,8516,{today - dt.timedelta(days=30)},,heaters,test",
            ]
        )
        with session_maker() as session:
            reference_versions.add_version(
                session, TableKind.INSPECTION, heaters_only, effective_from=today, actor=actor
            )
            session.commit()
        declaration_id = zone(session_maker, actor, profile).declaration(
            DeclarationKind.FIRST_LINE_ENTRY, lines=[line(**ETHANOL, research_own_use=True)]
        )

        decision = post(
            client, goods_event("HUANGGANG", "inbound", {"declaration_id": declaration_id})
        )

        assert [r["code"] for r in decision["reasons"] if r["code"].startswith("R12")] == []
        assert "inspection_listing" not in decision["inputs"]["subject"]["lines"][0]
        replays(client, decision)
