"""Facts gathered for goods and vehicles: declarations, lines, parties, plates, permits."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from crossing.events.support import entries_from, event_id, record, whitelisted_person
from declarations.support import line, submit
from factories import hk_br, make_application, make_party, make_vehicle
from hetao.audit.service import Actor
from hetao.credentials import service as credential_service
from hetao.credentials.tokens import SigningKey
from hetao.crossing import intake
from hetao.declarations.kinds import DeclarationKind
from hetao.engine.facts import ConsignmentFacts, Outcome, facts_from_json
from hetao.profiles import ZoneProfile
from hetao.reference_versions import service as reference_versions
from hetao.reference_versions.models import TableKind
from hetao.registry import service as registry
from hetao.registry import standings as registry_standings
from hetao.registry.models import Party
from hetao.registry.schemas import WaiverCreate
from hetao.storage.types import utcnow

ADMIN = intake.Device("user:1", "admin")


def consignment_event(point: str = "FBZ_CHANNEL_1", **subject: Any) -> dict[str, Any]:
    return {
        "event_id": event_id(),
        "crossing_point": point,
        "direction": "inbound",
        "occurred_at": utcnow().isoformat(),
        "subject": {"type": "consignment", **subject},
    }


def whitelisted_party(session: Session, actor: Actor, profile: ZoneProfile) -> Party:
    party = make_party(session, actor)
    application = make_application(
        session,
        actor,
        profile,
        party_id=party.id,
        flows=["people", "goods"],
        lines=["first", "second"],
        exemptions=["duty_free_research_goods", "hand_carry_channel1"],
    )
    registry.submit(session, application, actor=actor)
    registry.approve(
        session, application, profile=profile, actor=actor, today=entries_from(profile)
    )
    return party


class TestConsignments:
    def test_R13_bonded_goods_hand_carried_through_channel_1_are_refused(  # noqa: N802 - rule
        self, session: Session, actor: Actor, profile: ZoneProfile
    ) -> None:
        party = whitelisted_party(session, actor, profile)
        declaration = submit(
            session, party, profile, actor, DeclarationKind.FIRST_LINE_ENTRY,
            crossing_point="FBZ_CHANNEL_1", lines=[line(bonded=True)],
        )  # fmt: skip
        _, _, carrier = whitelisted_person(
            session, actor, profile, flows=("people", "goods"), exemptions=("hand_carry_channel1",)
        )
        body = consignment_event(
            declaration_id=declaration.id, hand_carried=True, carrier={"document": carrier}
        )

        event, _ = record(session, profile, body, device=ADMIN)

        assert event.decision.outcome is Outcome.REFUSE
        assert "R13.bonded_hand_carry" in [r["code"] for r in event.decision.reasons]
        goods = event.decision.inputs["subject"]
        assert goods["lines"][0]["bonded"] is True
        assert goods["party"]["party_id"] == party.id
        assert goods["carrier"]["person_id"] is not None
        assert (event.declaration_id, event.party_id) == (declaration.id, party.id)

    def test_a_declaration_is_found_by_its_party_and_reference_with_approvals_presented(
        self, session: Session, actor: Actor, profile: ZoneProfile
    ) -> None:
        party = whitelisted_party(session, actor, profile)
        declaration = submit(
            session, party, profile, actor, DeclarationKind.FIRST_LINE_ENTRY,
            lines=[line(special_article=True)],
        )  # fmt: skip
        body = consignment_event(
            point="HUANGGANG",
            party_id=party.id,
            reference=declaration.reference,
            approvals=[{"line_no": 1, "special_article_approval": "QA-2026-0042"}],
        )

        event, _ = record(session, profile, body, device=ADMIN)

        facts = event.decision.inputs["subject"]
        assert facts["declaration_id"] == declaration.id
        assert facts["lines"][0]["special_article"] is True
        assert facts["lines"][0]["special_article_approval"] == "QA-2026-0042"
        assert facts["lines"][0]["value_cny"] != "12000.00"  # HKD converted to CNY
        assert "R11.approval_missing" not in [r["code"] for r in event.decision.reasons]

    def test_a_lines_value_is_converted_at_the_rates_in_force_not_the_packaged_sample(
        self, session: Session, actor: Actor, profile: ZoneProfile
    ) -> None:
        # An administrator's upload, in force from before the declared day (2026-11-16): the
        # gate's risk tables read the same CNY value as the declaration's assessment.
        rates = "version,month,currency,units,cny,kind\nOFFICIAL-1,2026-11,HKD,1,0.5000,official\n"
        reference_versions.add_version(
            session, TableKind.RATES, rates, effective_from=dt.date(2026, 1, 1), actor=actor
        )
        party = whitelisted_party(session, actor, profile)
        declaration = submit(session, party, profile, actor, DeclarationKind.FIRST_LINE_ENTRY)
        body = consignment_event(point="HUANGGANG", declaration_id=declaration.id)

        event, _ = record(session, profile, body, device=ADMIN)

        assert event.decision.inputs["subject"]["lines"][0]["value_cny"] == "6000.00"

    def test_R6_a_waiver_lockout_is_part_of_the_party_standing(  # noqa: N802 - rule
        self, session: Session, actor: Actor, profile: ZoneProfile
    ) -> None:
        party = whitelisted_party(session, actor, profile)
        registry_standings.waive_exemption(
            session, party, WaiverCreate(goods_kind="reagents"), profile=profile, actor=actor
        )
        declaration = submit(session, party, profile, actor, DeclarationKind.FIRST_LINE_ENTRY)
        body = consignment_event(point="HUANGGANG", declaration_id=declaration.id)

        event, _ = record(session, profile, body, device=ADMIN)

        standing = event.decision.inputs["subject"]["party"]["whitelist"]
        assert standing["locked_out_goods_kinds"] == ["reagents"]

    def test_R12_a_lines_legally_inspected_flag_and_the_partys_code_are_gathered(  # noqa: N802
        self, session: Session, actor: Actor, profile: ZoneProfile
    ) -> None:
        party = whitelisted_party(session, actor, profile)
        declaration = submit(
            session, party, profile, actor, DeclarationKind.FIRST_LINE_ENTRY,
            lines=[line(legally_inspected=True), line()],
        )  # fmt: skip
        body = consignment_event(point="HUANGGANG", declaration_id=declaration.id)

        event, _ = record(session, profile, body, device=ADMIN)

        goods = event.decision.inputs["subject"]
        assert party.uscc is not None
        assert goods["party"]["code"] == party.uscc
        assert [entry.get("legally_inspected") for entry in goods["lines"]] == [True, None]
        facts = facts_from_json(event.decision.inputs)
        assert isinstance(facts.subject, ConsignmentFacts)
        assert [g.legally_inspected for g in facts.subject.lines] == [True, False]
        assert facts.subject.party is not None
        assert facts.subject.party.code == party.uscc

    def test_R12_a_hong_kong_partys_code_is_its_business_registration_number(  # noqa: N802
        self, session: Session, actor: Actor, profile: ZoneProfile
    ) -> None:
        party = make_party(session, actor, kind="hk_institution", uscc=None, hk_br=hk_br())
        declaration = submit(session, party, profile, actor, DeclarationKind.FIRST_LINE_ENTRY)
        body = consignment_event(point="HUANGGANG", declaration_id=declaration.id)

        event, _ = record(session, profile, body, device=ADMIN)

        assert party.hk_br is not None
        assert event.decision.inputs["subject"]["party"]["code"] == party.hk_br

    def test_an_unknown_declaration_is_a_fact_not_an_error(
        self, session: Session, profile: ZoneProfile
    ) -> None:
        event, created = record(
            session, profile, consignment_event(declaration_id=999999), device=ADMIN
        )
        assert created
        assert event.decision.inputs["subject"]["declaration_id"] is None
        assert event.decision.outcome is Outcome.REFUSE


class TestVehicles:
    def test_a_vehicle_is_found_by_plate_with_its_permit_owner_and_people(
        self, session: Session, actor: Actor, profile: ZoneProfile
    ) -> None:
        owner = whitelisted_party(session, actor, profile)
        vehicle = make_vehicle(session, actor, profile, owner.id)
        driver, _, licence = whitelisted_person(session, actor, profile)
        body = {
            "event_id": event_id(),
            "crossing_point": "FBZ_CHANNEL_1",
            "direction": "outbound",
            "occurred_at": utcnow().isoformat(),
            "subject": {
                "type": "vehicle",
                "plate": vehicle.plate,
                "driver": {"document": licence},
                "passengers": [{"document": {"kind": "passport", "number": "X1234567"}}],
            },
        }

        event, _ = record(session, profile, body, device=ADMIN)

        facts = event.decision.inputs["subject"]
        assert facts["vehicle_id"] == vehicle.id
        assert facts["permit_points"] == ["FBZ_CHANNEL_1"]
        assert facts["owner"]["party_id"] == owner.id
        assert facts["driver"]["person_id"] == driver.id
        assert facts["passengers"][0]["person_id"] is None
        assert (event.vehicle_id, event.person_id, event.party_id) == (
            vehicle.id,
            driver.id,
            owner.id,
        )

    def test_an_unknown_plate_is_a_fact_not_an_error(
        self, session: Session, profile: ZoneProfile
    ) -> None:
        body = {
            "event_id": event_id(),
            "crossing_point": "HUANGGANG",
            "direction": "inbound",
            "occurred_at": utcnow().isoformat(),
            "subject": {"type": "vehicle", "plate": "ZZ9999"},
        }
        event, _ = record(session, profile, body, device=ADMIN)
        assert event.vehicle_id is None
        assert event.decision.inputs["subject"]["permit_points"] == []


class TestCredentials:
    def test_a_zone_credential_names_its_person_and_its_status(
        self, session: Session, actor: Actor, profile: ZoneProfile, tmp_path: Path
    ) -> None:
        person, _, _ = whitelisted_person(session, actor, profile)
        issued = credential_service.issue(
            session,
            person.id,
            key=SigningKey.load_or_create(tmp_path / "credential-key.pem"),
            profile=profile,
            actor=actor,
            now=utcnow(),
        )
        body = {
            "event_id": event_id(),
            "crossing_point": "FBZ_CHANNEL_1",
            "direction": "inbound",
            "occurred_at": utcnow().isoformat(),
            "subject": {"type": "person", "credential": issued.token},
        }

        event, _ = record(
            session,
            profile,
            body,
            device=ADMIN,
            credentials=lambda s, token, at: credential_service.verify_presented(s, token, at=at),
        )

        facts = event.decision.inputs["subject"]
        assert facts["person_id"] == person.id
        assert facts["credential"]["status"] == "valid"
        assert event.decision.outcome is not Outcome.REFUSE, event.decision.reasons

    def test_a_forged_credential_is_a_fact_not_an_error(
        self, session: Session, profile: ZoneProfile
    ) -> None:
        body = {
            "event_id": event_id(),
            "crossing_point": "FBZ_CHANNEL_1",
            "direction": "inbound",
            "occurred_at": utcnow().isoformat(),
            "subject": {"type": "person", "credential": "HZC1.bm90.YXRva2Vu"},
        }
        event, _ = record(
            session,
            profile,
            body,
            device=ADMIN,
            credentials=lambda s, token, at: credential_service.verify_presented(s, token, at=at),
        )
        facts = event.decision.inputs["subject"]
        assert facts["person_id"] is None
        assert facts["credential"]["status"] != "valid"
        assert event.decision.outcome is Outcome.REFUSE
