"""Lots, statements, reconciliation and reports over HTTP."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from declarations.fixtures import Tokens, V, as_role
from declarations.support import DECLARED_ON
from hetao.auth.principal import Role
from hetao.ledger.models import Lot
from hetao.registry.models import Party
from hetao.timeutil import zone_today


class TestLotsAndReports:
    def test_a_lot_shows_its_balance_and_a_page_of_movements(
        self, client: TestClient, lot: Lot, party: Party
    ) -> None:
        listed = client.get(f"{V}/lots", params={"party_id": party.id}).json()
        assert [x["id"] for x in listed["items"]] == [lot.id]
        shown = client.get(f"{V}/lots/{lot.id}", params={"limit": 1}).json()
        assert (shown["lot"]["balance"], shown["lot"]["customs_status"]) == (
            "10.000",
            "duty_free_research",
        )
        assert [m["kind"] for m in shown["movements"]["items"]] == ["admit"]
        assert shown["movements"]["next_cursor"] is None

    def test_statement_reconciliation_supervision_and_taxes(
        self, client: TestClient, token_for: Tokens, lot: Lot, party: Party
    ) -> None:
        today = zone_today("Asia/Shanghai").isoformat()
        period = {"from": today, "to": today}
        statement = client.get(f"{V}/parties/{party.id}/statement", params=period).json()
        assert statement["balanced"] is True
        assert statement["lots"][0]["closing"] == "10.000"
        reconciliation = client.post(
            f"{V}/parties/{party.id}/reconciliation",
            json={
                "counted_on": DECLARED_ON.isoformat(),
                "counts": [{"lot_id": lot.id, "counted": "9"}],
            },
        ).json()
        assert reconciliation["lots"][0]["finding"] == "shortage"
        assert reconciliation["flagged"] == 0
        ending = client.get(f"{V}/reports/supervision-ending", params={"days": 30})
        assert ending.status_code == 200
        taxes = client.get(
            f"{V}/reports/taxes",
            params=period,
            headers=as_role(token_for, Role.SECOND_LINE_OFFICER),
        )
        assert taxes.status_code == 200
        assert {row["party_id"] for row in taxes.json()["rows"]} >= {party.id}
        first_line = as_role(token_for, Role.FIRST_LINE_OFFICER)
        assert (
            client.get(f"{V}/reports/taxes", params=period, headers=first_line).status_code == 403
        )

    def test_a_reversed_period_is_a_problem_naming_to(
        self, client: TestClient, party: Party, session: Session
    ) -> None:
        session.commit()
        response = client.get(
            f"{V}/parties/{party.id}/statement",
            params={"from": "2026-05-02", "to": (dt.date(2026, 5, 1)).isoformat()},
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "to"
