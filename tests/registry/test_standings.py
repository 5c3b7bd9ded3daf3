"""Party standings: bankruptcy, deregistration and credit level, each from a dated document.

R8's exception turns on the transferor's standing on the transfer's date, so standings are a
history recorded by zone reviewers (R26 for the credit levels), each change audited.
"""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from factories import bearer, make_party
from hetao.audit.service import Actor
from hetao.auth.principal import Role
from hetao.errors import TransitionForbidden, ValidationFailed
from hetao.profiles import ZoneProfile
from hetao.registry import standings
from hetao.registry.models import CreditLevel, Party, PartyStatus
from hetao.registry.schemas import StandingChange, StandingCreate
from ledger.support import last_seq, tags_since

TODAY = dt.date(2026, 12, 1)


def record(
    session: Session,
    party: Party,
    profile: ZoneProfile,
    actor: Actor,
    change: StandingChange,
    on: dt.date,
    credit_level: CreditLevel | None = None,
) -> None:
    data = StandingCreate(
        change=change, effective_on=on, document_ref="DOC-1", credit_level=credit_level
    )
    standings.record_standing(session, party, data, profile=profile, actor=actor, today=TODAY)


class TestService:
    def test_R8_bankruptcy_then_deregistration_are_a_dated_history(  # noqa: N802
        self, session: Session, actor: Actor, profile: ZoneProfile
    ) -> None:
        party = make_party(session, actor)
        before = last_seq(session)
        record(session, party, profile, actor, StandingChange.BANKRUPT, dt.date(2026, 9, 1))
        record(session, party, profile, actor, StandingChange.DEREGISTERED, dt.date(2026, 11, 1))
        assert party.status is PartyStatus.DEREGISTERED
        assert tags_since(session, before) == ["registry:standing:create"] * 2
        on = standings.status_on
        assert on(session, party, on=dt.date(2026, 8, 31)) is None
        assert on(session, party, on=dt.date(2026, 9, 1)) is PartyStatus.BANKRUPT
        assert on(session, party, on=dt.date(2026, 10, 31)) is PartyStatus.BANKRUPT
        assert on(session, party, on=dt.date(2026, 11, 1)) is PartyStatus.DEREGISTERED

    def test_R26_a_credit_level_change_keeps_the_status(  # noqa: N802
        self, session: Session, actor: Actor, profile: ZoneProfile
    ) -> None:
        party = make_party(session, actor)
        record(
            session,
            party,
            profile,
            actor,
            StandingChange.CREDIT_LEVEL,
            dt.date(2026, 10, 1),
            credit_level=CreditLevel.DISHONEST,
        )
        assert (party.status, party.credit_level) == (PartyStatus.ACTIVE, CreditLevel.DISHONEST)

    def test_R8_a_deregistered_party_cannot_go_bankrupt(  # noqa: N802
        self, session: Session, actor: Actor, profile: ZoneProfile
    ) -> None:
        party = make_party(session, actor)
        record(session, party, profile, actor, StandingChange.DEREGISTERED, dt.date(2026, 9, 1))
        with pytest.raises(TransitionForbidden):
            record(session, party, profile, actor, StandingChange.BANKRUPT, dt.date(2026, 10, 1))

    def test_standings_are_recorded_in_date_order_and_never_ahead_of_today(
        self, session: Session, actor: Actor, profile: ZoneProfile
    ) -> None:
        party = make_party(session, actor)
        with pytest.raises(ValidationFailed) as ahead:
            record(session, party, profile, actor, StandingChange.BANKRUPT, TODAY + dt.timedelta(1))
        assert ahead.value.problems[0].rule == "standing.not_ahead"
        record(session, party, profile, actor, StandingChange.BANKRUPT, dt.date(2026, 9, 1))
        with pytest.raises(ValidationFailed) as earlier:
            record(session, party, profile, actor, StandingChange.DEREGISTERED, dt.date(2026, 8, 1))
        assert earlier.value.problems[0].rule == "standing.in_date_order"

    def test_a_credit_level_belongs_to_a_credit_level_change_only(self) -> None:
        with pytest.raises(ValueError, match=r"standing\.credit_level"):
            StandingCreate(
                change=StandingChange.BANKRUPT,
                effective_on=TODAY,
                document_ref="DOC-1",
                credit_level=CreditLevel.REGULAR,
            )


class TestApi:
    def test_R8_a_zone_reviewer_records_a_bankruptcy_and_lists_the_history(  # noqa: N802
        self,
        anonymous_client: TestClient,
        token_for: object,
        session: Session,
        actor: Actor,
    ) -> None:
        party = make_party(session, actor)
        session.commit()
        assert callable(token_for)
        headers = bearer(token_for(Role.ZONE_REVIEWER))
        path = f"/api/v1/parties/{party.id}/standings"
        document = {
            "change": "bankrupt",
            "effective_on": "2026-11-02",
            "document_ref": "(2026) Yue 03 Po 117",
        }
        created = anonymous_client.post(path, json=document, headers=headers)
        assert created.status_code == 201, created.text
        assert (created.json()["status"], created.json()["credit_level"]) == (
            "bankrupt",
            party.credit_level.value,
        )
        listed = anonymous_client.get(path, headers=headers).json()
        assert [(s["status"], s["effective_on"]) for s in listed] == [("bankrupt", "2026-11-02")]
        shown = anonymous_client.get(f"/api/v1/parties/{party.id}", headers=headers).json()
        assert shown["status"] == "bankrupt"

    def test_an_enterprise_user_may_read_but_not_record_its_standing(
        self,
        anonymous_client: TestClient,
        token_for: object,
        session: Session,
        actor: Actor,
    ) -> None:
        party = make_party(session, actor)
        session.commit()
        assert callable(token_for)
        headers = bearer(token_for(Role.ENTERPRISE_USER, party_id=party.id))
        path = f"/api/v1/parties/{party.id}/standings"
        document = {"change": "deregistered", "effective_on": "2026-11-02", "document_ref": "X"}
        assert anonymous_client.post(path, json=document, headers=headers).status_code == 403
        assert anonymous_client.get(path, headers=headers).json() == []
