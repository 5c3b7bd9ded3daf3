"""The taxes report: the taxes of cleared declarations summed by party."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy.orm import Session

from declarations.support import admitted, clear, line, submit
from hetao.audit.service import Actor
from hetao.declarations import reports as declaration_reports
from hetao.declarations.kinds import DeclarationKind
from hetao.profiles import ZoneProfile
from hetao.registry.models import Party
from hetao.timeutil import zone_today

TZ = "Asia/Shanghai"


class TestTaxes:
    def test_sums_the_taxes_of_declarations_cleared_in_the_period_by_party(
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party, other: Party
    ) -> None:
        cleared = []
        for owner in (party, party, other):
            lot = admitted(session, owner, profile, actor, research_own_use=True)
            declaration = submit(
                session,
                owner,
                profile,
                actor,
                DeclarationKind.SECOND_LINE_EXIT,
                lines=[line(lot_id=lot.id, quantity="4", customs_value="4800.00")],
            )
            cleared.append(clear(session, declaration, profile, actor))
        today = zone_today(TZ)
        report = declaration_reports.taxes(session, period_from=today, period_to=today, timezone=TZ)
        rows = {row.party_id: row for row in report.rows}
        assert (rows[party.id].declarations, rows[party.id].total) == (4, Decimal("1435.12"))
        assert (rows[party.id].duty, rows[party.id].vat) == (Decimal("262.68"), Decimal("1172.44"))
        assert rows[other.id].total == Decimal("717.56")
        mine = declaration_reports.taxes(
            session, period_from=today, period_to=today, timezone=TZ, party_id=other.id
        )
        assert [row.party_id for row in mine.rows] == [other.id]
        earlier = declaration_reports.taxes(
            session,
            period_from=today - dt.timedelta(days=9),
            period_to=today - dt.timedelta(days=1),
            timezone=TZ,
        )
        assert earlier.rows == ()
