"""Registry services: rules that are not workflow transitions."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session

from factories import make_party, make_person, person_payload
from hetao.audit.service import Actor
from hetao.errors import Conflict, RuleViolation, ValidationFailed
from hetao.profiles import ZoneProfile
from hetao.registry import parties as registry_parties
from hetao.registry import service
from hetao.registry import standings as registry_standings
from hetao.registry.schemas import ApplicationCreate, PersonCreate, WaiverCreate


class TestWaiverLockout:
    def test_r6_an_exemption_waived_cannot_be_claimed_for_36_months(
        self, session: Session, actor: Actor, profile: ZoneProfile
    ) -> None:
        party = make_party(session, actor)
        waiver = registry_standings.waive_exemption(
            session,
            party,
            WaiverCreate(goods_kind="reagents", waived_on=dt.date(2026, 2, 10)),
            profile=profile,
            actor=actor,
        )
        assert waiver.lockout_until == dt.date(2029, 2, 10)
        with pytest.raises(RuleViolation) as caught:
            registry_standings.assert_exemption_claimable(
                session, party_id=party.id, goods_kind="reagents", on=dt.date(2029, 2, 9)
            )
        assert caught.value.problems[0].rule == "R6.waiver_lockout"
        registry_standings.assert_exemption_claimable(
            session, party_id=party.id, goods_kind="reagents", on=dt.date(2029, 2, 10)
        )

    def test_r6_the_lockout_covers_only_goods_of_the_same_kind(
        self, session: Session, actor: Actor, profile: ZoneProfile
    ) -> None:
        party = make_party(session, actor)
        registry_standings.waive_exemption(
            session,
            party,
            WaiverCreate(goods_kind="reagents", waived_on=dt.date(2026, 2, 10)),
            profile=profile,
            actor=actor,
        )
        registry_standings.assert_exemption_claimable(
            session, party_id=party.id, goods_kind="equipment", on=dt.date(2026, 6, 1)
        )

    def test_r6_refuses_a_goods_kind_outside_the_profile(
        self, session: Session, actor: Actor, profile: ZoneProfile
    ) -> None:
        party = make_party(session, actor)
        with pytest.raises(ValidationFailed) as caught:
            registry_standings.waive_exemption(
                session, party, WaiverCreate(goods_kind="yachts"), profile=profile, actor=actor
            )
        assert caught.value.problems[0].rule == "profile.waiver_goods_kind"

    def test_r6_a_waiver_ending_on_the_31st_locks_out_to_the_month_end(
        self, session: Session, actor: Actor, profile: ZoneProfile
    ) -> None:
        party = make_party(session, actor)
        waiver = registry_standings.waive_exemption(
            session,
            party,
            WaiverCreate(goods_kind="samples", waived_on=dt.date(2025, 8, 31)),
            profile=profile,
            actor=actor,
        )
        assert waiver.lockout_until == dt.date(2028, 8, 31)


class TestPersons:
    def test_refuses_a_resident_id_whose_birth_date_differs_from_the_person(self) -> None:
        body = person_payload(birth=dt.date(1990, 5, 17))
        body["birth_date"] = "1990-05-18"
        with pytest.raises(ValueError, match=r"document\.birth_date_matches_person"):
            PersonCreate(**body)

    def test_refuses_the_same_document_twice(self, session: Session, actor: Actor) -> None:
        party = make_party(session, actor)
        person = make_person(session, actor, party.id)
        body = person_payload(party.id)
        body["documents"][0]["number"] = person.documents[0].number
        with pytest.raises(Conflict):
            registry_parties.create_person(session, PersonCreate(**body), actor=actor)

    def test_an_individual_application_needs_a_sponsor_the_person_works_for(
        self, session: Session, actor: Actor, profile: ZoneProfile
    ) -> None:
        employer = make_party(session, actor)
        other = make_party(session, actor)
        person = make_person(session, actor, employer.id)
        data = ApplicationCreate(
            subject_kind="individual",
            person_id=person.id,
            party_id=other.id,
            flows=["people"],
            lines=["first"],
        )
        with pytest.raises(ValidationFailed) as caught:
            service.create_application(session, data, profile=profile, actor=actor)
        assert caught.value.problems[0].rule == "application.sponsor_affiliated"
