"""An exemption needs an active whitelist entry on the day, not just a beneficiary's kind.

R8: an in-zone transfer of exempt goods keeps its exemption only when, on the transfer's date,
the registry records the transferor bankrupt or deregistered and the receiver has such an entry.

R3: beneficiaries enter the whitelist; R4 (Hetao research goods) and R19 (Hengqin self-use
equipment) exempt whitelisted beneficiaries at the first line. A party of a beneficiary kind whose
entry is missing, suspended, revoked, expired or out of scope is refused the exemption at lodging,
or at clearing when the entry changed in between, and may lodge the goods as dutiable.
"""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from declarations.support import (
    DECLARED_ON,
    admitted,
    body,
    clear,
    counts,
    line,
    submit,
)
from factories import make_entry, make_party
from hetao.audit.service import Actor
from hetao.declarations.kinds import DeclarationKind
from hetao.declarations.models import Declaration, DeclarationStatus
from hetao.errors import RuleViolation
from hetao.ledger.models import CustomsStatus
from hetao.profiles import ZoneProfile, load_profile
from hetao.registry import service as registry
from hetao.registry import standings as registry_standings
from hetao.registry.models import Party
from hetao.registry.schemas import StandingChange, StandingCreate
from hetao.timeutil import zone_today


@pytest.fixture
def unlisted(session: Session, actor: Actor) -> Party:
    """An enterprise of a beneficiary kind (R2a) with no whitelist entry."""
    return make_party(session, actor, name_en="Futian Unlisted Labs Ltd.")


def refused_rule(session: Session, party: Party, profile: ZoneProfile, actor: Actor) -> str:
    with pytest.raises(RuleViolation) as caught:
        submit(
            session,
            party,
            profile,
            actor,
            DeclarationKind.FIRST_LINE_ENTRY,
            lines=[line(research_own_use=True)],
        )
    return caught.value.problems[0].rule


class TestLodging:
    def test_R4_a_beneficiary_kind_without_an_entry_is_refused_the_exemption(  # noqa: N802
        self, session: Session, actor: Actor, profile: ZoneProfile, unlisted: Party
    ) -> None:
        before = counts(session)
        assert refused_rule(session, unlisted, profile, actor) == "R4.entry_none"
        assert counts(session) == before

    def test_R4_a_suspended_entry_is_refused_the_exemption(  # noqa: N802
        self, session: Session, actor: Actor, profile: ZoneProfile, unlisted: Party
    ) -> None:
        entry = make_entry(session, actor, profile, unlisted.id)
        registry.suspend(session, entry, note="documents under review", actor=actor)
        assert refused_rule(session, unlisted, profile, actor) == "R4.entry_suspended"

    def test_R4_a_revoked_entry_is_refused_the_exemption(  # noqa: N802
        self, session: Session, actor: Actor, profile: ZoneProfile, unlisted: Party
    ) -> None:
        entry = make_entry(session, actor, profile, unlisted.id)
        registry.revoke(session, entry, note="left the zone", actor=actor)
        assert refused_rule(session, unlisted, profile, actor) == "R4.entry_revoked"

    def test_R4_an_entry_whose_validity_ended_before_the_day_is_expired(  # noqa: N802
        self, session: Session, actor: Actor, profile: ZoneProfile, unlisted: Party
    ) -> None:
        make_entry(
            session,
            actor,
            profile,
            unlisted.id,
            approved_on=dt.date(2026, 3, 1),
            valid_until=DECLARED_ON - dt.timedelta(days=1),
        )
        # Still marked active (the daily expiry has not run): the window decides.
        assert refused_rule(session, unlisted, profile, actor) == "R4.entry_expired"
        registry.expire_due(session, today=DECLARED_ON, actor=actor)
        assert refused_rule(session, unlisted, profile, actor) == "R4.entry_expired"

    def test_R4_an_entry_valid_only_from_a_later_day_does_not_cover_the_goods(  # noqa: N802
        self, session: Session, actor: Actor, profile: ZoneProfile, unlisted: Party
    ) -> None:
        make_entry(
            session,
            actor,
            profile,
            unlisted.id,
            approved_on=dt.date(2026, 3, 1),
            valid_from=DECLARED_ON + dt.timedelta(days=1),
        )
        assert refused_rule(session, unlisted, profile, actor) == "R4.entry_not_yet_valid"

    @pytest.mark.parametrize(
        ("flows", "lines"), [(["people"], ["first", "second"]), (["people", "goods"], ["second"])]
    )
    def test_R4_an_entry_not_covering_goods_at_the_first_line_is_out_of_scope(  # noqa: N802
        self,
        session: Session,
        actor: Actor,
        profile: ZoneProfile,
        unlisted: Party,
        flows: list[str],
        lines: list[str],
    ) -> None:
        make_entry(session, actor, profile, unlisted.id, flows=flows, lines=lines)
        assert refused_rule(session, unlisted, profile, actor) == "R4.entry_out_of_scope"

    def test_R4_an_active_entry_in_scope_on_the_day_gets_the_exemption(  # noqa: N802
        self, session: Session, actor: Actor, profile: ZoneProfile, unlisted: Party
    ) -> None:
        make_entry(session, actor, profile, unlisted.id)
        declaration = submit(
            session,
            unlisted,
            profile,
            actor,
            DeclarationKind.FIRST_LINE_ENTRY,
            lines=[line(research_own_use=True)],
        )
        clear(session, declaration, profile, actor)
        assert declaration.lines[0].customs_status is CustomsStatus.DUTY_FREE_RESEARCH
        assert declaration.assessment is not None
        assert declaration.assessment["lines"][0]["rule"] == "R4.research_goods_exempt"
        assert declaration.tax_total == 0

    def test_R4_the_entry_is_read_on_the_zone_day_when_no_date_is_declared(  # noqa: N802
        self, session: Session, actor: Actor, profile: ZoneProfile, unlisted: Party
    ) -> None:
        today = zone_today(profile.zone.timezone)
        make_entry(session, actor, profile, unlisted.id, valid_from=today, valid_until=today)
        declaration = submit(
            session,
            unlisted,
            profile,
            actor,
            DeclarationKind.FIRST_LINE_ENTRY,
            declared_on=None,
            lines=[line(research_own_use=True)],
        )
        assert declaration.declared_on == today
        assert declaration.lines[0].customs_status is CustomsStatus.DUTY_FREE_RESEARCH

    def test_R4_refused_the_exemption_the_party_lodges_the_goods_as_dutiable(  # noqa: N802
        self, session: Session, actor: Actor, profile: ZoneProfile, unlisted: Party
    ) -> None:
        assert refused_rule(session, unlisted, profile, actor) == "R4.entry_none"
        declaration = submit(session, unlisted, profile, actor, DeclarationKind.FIRST_LINE_ENTRY)
        clear(session, declaration, profile, actor)
        assert declaration.lines[0].customs_status is CustomsStatus.DUTY_PAID
        assert declaration.assessment is not None
        assert declaration.assessment["lines"][0]["rule"] == "first_line_entry_duty_paid_taxed"
        assert declaration.tax_total is not None
        assert declaration.tax_total > 0


class TestClearing:
    def test_R4_an_entry_suspended_between_lodging_and_clearing_is_caught_at_clearing(  # noqa: N802
        self, session: Session, actor: Actor, profile: ZoneProfile, unlisted: Party
    ) -> None:
        entry = make_entry(session, actor, profile, unlisted.id)
        declaration = submit(
            session,
            unlisted,
            profile,
            actor,
            DeclarationKind.FIRST_LINE_ENTRY,
            lines=[line(research_own_use=True)],
        )
        registry.suspend(session, entry, note="audit finding", actor=actor)
        before = counts(session)
        with pytest.raises(RuleViolation) as caught:
            clear(session, declaration, profile, actor)
        problem = caught.value.problems[0]
        assert (problem.field, problem.rule) == ("lines[0].research_own_use", "R4.entry_suspended")
        assert declaration.status is DeclarationStatus.SUBMITTED
        assert counts(session) == before


class TestHengqin:
    def test_R19_self_use_equipment_needs_an_active_entry_of_the_zone(  # noqa: N802
        self, session: Session, actor: Actor, unlisted: Party
    ) -> None:
        hengqin = load_profile("hengqin")
        equipment = line(goods_kind="equipment", research_own_use=True)
        fields = {"crossing_point": "HENGQIN_PORT", "lines": [equipment]}
        with pytest.raises(RuleViolation) as caught:
            submit(session, unlisted, hengqin, actor, DeclarationKind.FIRST_LINE_ENTRY, **fields)
        assert caught.value.problems[0].rule == "R19.entry_none"
        make_entry(
            session,
            actor,
            hengqin,
            unlisted.id,
            flows=["goods"],
            exemptions=["duty_free_self_use_equipment"],
        )
        declaration = submit(
            session, unlisted, hengqin, actor, DeclarationKind.FIRST_LINE_ENTRY, **fields
        )
        assert declaration.lines[0].customs_status is CustomsStatus.DUTY_FREE_RESEARCH


class TestApi:
    def test_R4_lodging_without_an_active_entry_is_a_422_naming_the_entry_state(  # noqa: N802
        self, client: TestClient, session: Session, actor: Actor, profile: ZoneProfile
    ) -> None:
        party = make_party(session, actor, name_en="Futian Suspended Labs Ltd.")
        entry = make_entry(session, actor, profile, party.id)
        registry.suspend(session, entry, note="documents under review", actor=actor)
        session.commit()
        document = body(
            party.id, DeclarationKind.FIRST_LINE_ENTRY, lines=[line(research_own_use=True)]
        )
        response = client.post("/api/v1/declarations", json=document)
        assert response.status_code == 422, response.text
        error = response.json()["errors"][0]
        assert (error["field"], error["rule"]) == (
            "lines[0].research_own_use",
            "R4.entry_suspended",
        )
        dutiable = body(party.id, DeclarationKind.FIRST_LINE_ENTRY, lines=[line()])
        assert client.post("/api/v1/declarations", json=dutiable).status_code == 201


def standing(
    session: Session,
    party: Party,
    profile: ZoneProfile,
    actor: Actor,
    change: StandingChange,
    on: dt.date = DECLARED_ON,
) -> None:
    data = StandingCreate(change=change, effective_on=on, document_ref="(2026) Yue 03 Po 117")
    registry_standings.record_standing(session, party, data, profile=profile, actor=actor)


def transfer(
    session: Session,
    party: Party,
    to: Party,
    profile: ZoneProfile,
    actor: Actor,
    lot_id: int,
    **fields: object,
) -> Declaration:
    return submit(
        session,
        party,
        profile,
        actor,
        DeclarationKind.IN_ZONE_TRANSFER,
        to_party_id=to.id,
        lines=[line(lot_id=lot_id)],
        **fields,
    )


class TestR8:
    def test_R8_a_bankruptcy_claim_without_the_standing_in_the_registry_is_refused(  # noqa: N802
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party, other: Party
    ) -> None:
        lot = admitted(session, party, profile, actor, research_own_use=True)
        with pytest.raises(RuleViolation) as caught:
            transfer(session, party, other, profile, actor, lot.id, transfer_reason="bankruptcy")
        assert caught.value.problems[0].rule == "R8.transferor_standing"

    def test_R8_a_standing_from_after_the_transfer_date_does_not_count(  # noqa: N802
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party, other: Party
    ) -> None:
        lot = admitted(session, party, profile, actor, research_own_use=True)
        later = DECLARED_ON + dt.timedelta(days=1)
        standing(session, party, profile, actor, StandingChange.BANKRUPT, on=later)
        with pytest.raises(RuleViolation) as caught:
            transfer(session, party, other, profile, actor, lot.id, transfer_reason="bankruptcy")
        assert caught.value.problems[0].rule == "R8.transferor_standing"

    def test_R8_the_receiver_needs_an_active_entry_at_lodging(  # noqa: N802
        self,
        session: Session,
        actor: Actor,
        profile: ZoneProfile,
        party: Party,
        unlisted: Party,
    ) -> None:
        lot = admitted(session, party, profile, actor, research_own_use=True)
        standing(session, party, profile, actor, StandingChange.BANKRUPT)
        with pytest.raises(RuleViolation) as caught:
            transfer(session, party, unlisted, profile, actor, lot.id, transfer_reason="bankruptcy")
        problem = caught.value.problems[0]
        assert (problem.field, problem.rule) == ("to_party_id", "R8.entry_none")

    def test_R8_a_receiver_entry_suspended_before_clearing_is_caught_at_clearing(  # noqa: N802
        self,
        session: Session,
        actor: Actor,
        profile: ZoneProfile,
        party: Party,
        unlisted: Party,
    ) -> None:
        entry = make_entry(session, actor, profile, unlisted.id)
        lot = admitted(session, party, profile, actor, research_own_use=True)
        standing(session, party, profile, actor, StandingChange.DEREGISTERED)
        declaration = transfer(
            session, party, unlisted, profile, actor, lot.id, transfer_reason="deregistration"
        )
        registry.suspend(session, entry, note="audit finding", actor=actor)
        with pytest.raises(RuleViolation) as caught:
            clear(session, declaration, profile, actor)
        assert caught.value.problems[0].rule == "R8.entry_suspended"
        assert declaration.status is DeclarationStatus.SUBMITTED

    def test_R8_the_registry_decides_the_exception_without_a_claim(  # noqa: N802
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party, other: Party
    ) -> None:
        lot = admitted(session, party, profile, actor, research_own_use=True)
        standing(session, party, profile, actor, StandingChange.DEREGISTERED)
        declaration = transfer(session, party, other, profile, actor, lot.id)
        clear(session, declaration, profile, actor)
        assert declaration.assessment is not None
        assert declaration.assessment["lines"][0]["rule"] == "R8.deregistration_transfer_exempt"
        assert declaration.tax_total == 0

    def test_R8_an_active_transferor_repays_the_taxes_whoever_receives(  # noqa: N802
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party, other: Party
    ) -> None:
        lot = admitted(session, party, profile, actor, research_own_use=True)
        declaration = transfer(session, party, other, profile, actor, lot.id)
        clear(session, declaration, profile, actor)
        assert declaration.assessment is not None
        assert declaration.assessment["lines"][0]["rule"] == "R8.in_zone_transfer_taxed"
        assert declaration.tax_total is not None
        assert declaration.tax_total > 0
