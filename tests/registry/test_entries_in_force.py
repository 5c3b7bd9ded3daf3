"""The party's whitelist entries in force on a day: active, valid that day, goods at the line."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from factories import make_entry, make_party
from hetao.audit.service import Actor
from hetao.profiles import Line, ZoneProfile
from hetao.registry import service
from hetao.registry.service import BeneficiaryEntryState

IN_FORCE = dt.date(2026, 6, 1)


class TestEntriesInForce:
    def test_an_active_entry_valid_on_the_day_is_in_force(
        self, session: Session, actor: Actor, profile: ZoneProfile
    ) -> None:
        party = make_party(session, actor)
        entry = make_entry(session, actor, profile, party.id)
        assert service.entries_in_force(session, party, on=IN_FORCE, line=Line.FIRST) == [entry]

    def test_no_entry_is_in_force_outside_its_validity(
        self, session: Session, actor: Actor, profile: ZoneProfile
    ) -> None:
        party = make_party(session, actor)
        entry = make_entry(session, actor, profile, party.id)
        before = entry.valid_from - dt.timedelta(days=1)
        assert service.entries_in_force(session, party, on=before, line=Line.FIRST) == []
        assert service.entry_state(entry, on=before, line=Line.FIRST) is (
            BeneficiaryEntryState.NOT_YET_VALID
        )

    def test_a_suspended_entry_is_not_in_force(
        self, session: Session, actor: Actor, profile: ZoneProfile
    ) -> None:
        party = make_party(session, actor)
        entry = make_entry(session, actor, profile, party.id)
        service.suspend(session, entry, note="documents under review", actor=actor)
        assert service.entries_in_force(session, party, on=IN_FORCE, line=Line.FIRST) == []
