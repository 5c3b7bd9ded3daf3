"""``POST /api/v1/crossings`` checks goods against their declaration (issue 15, point 5): a
declaration must be cleared, of the crossing's line, direction and point, and presented for
its own party."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from crossing.events.support import event_id, office_hours
from crossing.events.test_gather import whitelisted_party
from declarations.support import clear, line, submit
from factories import make_application, make_person
from hetao.audit.service import Actor
from hetao.crossing.gather import zone_day
from hetao.declarations import service as declarations
from hetao.declarations.kinds import DeclarationKind
from hetao.declarations.models import Declaration
from hetao.profiles import ZoneProfile
from hetao.registry import service as registry
from hetao.registry.models import Party

V = "/api/v1"
DECLARATION_CODES = {
    "declaration.not_cleared",
    "declaration.kind_mismatch",
    "declaration.point_mismatch",
    "declaration.party_mismatch",
}


def goods_event(
    point: str, direction: str, subject: dict[str, Any], kind: str = "consignment"
) -> dict[str, Any]:
    return {
        "event_id": event_id(),
        "crossing_point": point,
        "direction": direction,
        "occurred_at": office_hours().isoformat(),
        "subject": {"type": kind, **subject},
    }


def post(client: TestClient, body: dict[str, Any]) -> dict[str, Any]:
    """The decision, with its crossing's id and the facts it was decided on (``inputs``)."""
    response = client.post(f"{V}/crossings", json=body)
    assert response.status_code == 201, response.text
    crossing = response.json()
    detail = client.get(f"{V}/crossings/{crossing['id']}")
    assert detail.status_code == 200, detail.text
    decision: dict[str, Any] = {
        **crossing["decision"],
        "crossing_id": crossing["id"],
        "inputs": detail.json()["inputs"],
    }
    return decision


def declaration_reasons(decision: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for r in decision["reasons"] if r["code"] in DECLARATION_CODES]


class Zone:
    """A whitelisted party and its declarations, committed for the API to read."""

    def __init__(
        self, session_maker: sessionmaker[Session], actor: Actor, profile: ZoneProfile
    ) -> None:
        self.session_maker, self.actor, self.profile = session_maker, actor, profile
        with session_maker() as s:
            self.party_id = whitelisted_party(s, actor, profile).id
            s.commit()

    def declaration(
        self,
        kind: DeclarationKind,
        *,
        status: str = "cleared",
        party_id: int | None = None,
        **fields: Any,
    ) -> int:
        with self.session_maker() as s:
            party = s.get(Party, party_id or self.party_id)
            assert party is not None
            today = zone_day(office_hours(), self.profile).isoformat()
            fields.setdefault("lines", [line(research_own_use=True)])
            declaration: Declaration = submit(
                s, party, self.profile, self.actor, kind, declared_on=today, **fields
            )
            if status == "cleared":
                clear(s, declaration, self.profile, self.actor)
            elif status == "accepted":
                declarations.accept(s, declaration, actor=self.actor)
            elif status == "refused":
                declarations.refuse(s, declaration, reason="Invoice missing.", actor=self.actor)
            s.commit()
            return declaration.id

    def carrier(self, party_id: int) -> dict[str, Any]:
        """The document of a person of ``party_id`` designated to hand-carry (R13)."""
        with self.session_maker() as s:
            person = make_person(s, self.actor, party_id)
            application = make_application(
                s, self.actor, self.profile, subject_kind="individual", party_id=party_id,
                person_id=person.id, flows=["people", "goods"], lines=["first", "second"],
                exemptions=["hand_carry_channel1"],
            )  # fmt: skip
            registry.submit(s, application, actor=self.actor)
            registry.approve(s, application, profile=self.profile, actor=self.actor)
            document = person.documents[0]
            s.commit()
            return {
                "kind": document.kind.value,
                "number": document.number,
                "issuing_country": document.issuing_country,
            }


def zone(session_maker: sessionmaker[Session], actor: Actor, profile: ZoneProfile) -> Zone:
    return Zone(session_maker, actor, profile)


class TestStatus:
    def test_goods_under_a_cleared_declaration_of_the_crossing_pass_the_declaration_checks(
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

        assert declaration_reasons(decision) == []
        assert decision["inputs"]["subject"]["declaration_kind"] == "first_line_entry"
        assert decision["inputs"]["subject"]["declaration_point"] == "HUANGGANG"

    def test_goods_under_a_lodged_declaration_are_refused_naming_its_status(
        self,
        client: TestClient,
        session_maker: sessionmaker[Session],
        actor: Actor,
        profile: ZoneProfile,
    ) -> None:
        declaration_id = zone(session_maker, actor, profile).declaration(
            DeclarationKind.FIRST_LINE_ENTRY, status="submitted"
        )

        decision = post(
            client, goods_event("HUANGGANG", "inbound", {"declaration_id": declaration_id})
        )

        assert decision["outcome"] == "refuse"
        [refused] = declaration_reasons(decision)
        assert refused["code"] == "declaration.not_cleared"
        assert refused["text"]["en"].startswith(f"Declaration {declaration_id} is lodged,")
        replay = client.post(f"{V}/crossings/{decision['crossing_id']}/replay")
        assert replay.status_code == 200, replay.text
        assert replay.json()["matches"] is True

    def test_a_declaration_an_officer_refused_does_not_release_goods_at_channel_1(
        self,
        client: TestClient,
        session_maker: sessionmaker[Session],
        actor: Actor,
        profile: ZoneProfile,
    ) -> None:
        here = zone(session_maker, actor, profile)
        declaration_id = here.declaration(
            DeclarationKind.FIRST_LINE_ENTRY, status="refused", crossing_point="FBZ_CHANNEL_1"
        )

        decision = post(
            client, goods_event("FBZ_CHANNEL_1", "inbound", {"declaration_id": declaration_id})
        )

        assert decision["outcome"] == "refuse"
        assert [r["code"] for r in declaration_reasons(decision)] == ["declaration.not_cleared"]
        assert "refused" in declaration_reasons(decision)[0]["text"]["en"]


class TestKind:
    def test_a_first_line_entry_does_not_release_goods_at_a_second_line_exit(
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
            client, goods_event("SL_GOODS", "outbound", {"declaration_id": declaration_id})
        )

        assert decision["outcome"] == "refuse"
        [mismatch] = declaration_reasons(decision)
        assert mismatch["code"] == "declaration.kind_mismatch"
        assert "for inbound crossings of the first line" in mismatch["text"]["en"]

    def test_goods_declared_for_huanggang_are_refused_at_channel_1(
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
            client, goods_event("FBZ_CHANNEL_1", "inbound", {"declaration_id": declaration_id})
        )

        assert decision["outcome"] == "refuse"
        assert [r["code"] for r in declaration_reasons(decision)] == ["declaration.point_mismatch"]


class TestParty:
    def hand_carried(self, here: Zone, carrier_party_id: int) -> dict[str, Any]:
        declaration_id = here.declaration(
            DeclarationKind.FIRST_LINE_ENTRY, crossing_point="FBZ_CHANNEL_1", hand_carried=True
        )
        carrier = here.carrier(carrier_party_id)
        subject = {"declaration_id": declaration_id, "carrier": {"document": carrier}}
        return goods_event("FBZ_CHANNEL_1", "inbound", subject)

    def test_a_carrier_of_another_party_may_not_present_the_goods(
        self,
        client: TestClient,
        session_maker: sessionmaker[Session],
        actor: Actor,
        profile: ZoneProfile,
    ) -> None:
        here = zone(session_maker, actor, profile)
        other = zone(session_maker, actor, profile)

        decision = post(client, self.hand_carried(here, other.party_id))

        assert decision["outcome"] == "refuse"
        [mismatch] = declaration_reasons(decision)
        assert mismatch["code"] == "declaration.party_mismatch"
        assert mismatch["subject"] == "carrier"
        assert f"lodged by party {here.party_id}" in mismatch["text"]["en"]
        assert decision["inputs"]["subject"]["carrier_affiliated"] is False

    def test_a_carrier_of_the_declaring_party_presents_its_goods(
        self,
        client: TestClient,
        session_maker: sessionmaker[Session],
        actor: Actor,
        profile: ZoneProfile,
    ) -> None:
        here = zone(session_maker, actor, profile)

        decision = post(client, self.hand_carried(here, here.party_id))

        assert declaration_reasons(decision) == []
        assert decision["inputs"]["subject"]["carrier_affiliated"] is True


class TestVehicle:
    def test_each_consignment_in_a_vehicle_is_checked_against_its_declaration(
        self,
        client: TestClient,
        session_maker: sessionmaker[Session],
        actor: Actor,
        profile: ZoneProfile,
    ) -> None:
        here = zone(session_maker, actor, profile)
        cleared = here.declaration(DeclarationKind.FIRST_LINE_ENTRY)
        accepted = here.declaration(DeclarationKind.FIRST_LINE_ENTRY, status="accepted")
        subject = {
            "plate": "ZZ9999",
            "consignments": [{"declaration_id": cleared}, {"declaration_id": accepted}],
        }

        decision = post(client, goods_event("HUANGGANG", "inbound", subject, kind="vehicle"))

        assert decision["outcome"] == "refuse"
        assert [(r["code"], r["subject"]) for r in declaration_reasons(decision)] == [
            ("declaration.not_cleared", "consignment[2]")
        ]
