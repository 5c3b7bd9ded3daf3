"""A lending zone party with an instrument, a Hong Kong borrower, and loans, committed for the
API and the gate to see."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from crossing.events.support import event_id, office_hours
from crossing.events.test_gather import whitelisted_party
from declarations.support import clear, line, submit
from factories import hk_br, make_party
from hetao.audit.service import Actor
from hetao.crossing.gather import zone_day
from hetao.declarations.kinds import DeclarationKind
from hetao.loans.models import Loan
from hetao.profiles import ZoneProfile
from hetao.timeutil import zone_today

V = "/api/v1"


def instrument(**overrides: Any) -> dict[str, Any]:
    """Two mass spectrometers admitted duty-free for research (R4): one lot, two serials."""
    values: dict[str, Any] = {
        "research_own_use": True,
        "hs_code": "9027.81",
        "description": "Mass spectrometer",
        "quantity": "2",
        "unit": "set",
        "customs_value": "2400000.00",
        "currency": "CNY",
        "origin": "DE",
        "goods_kind": "instruments",
    }
    values.update(overrides)
    return values


class Lending:
    """A whitelisted zone party owning a lot of instruments, and a Hong Kong institution."""

    def __init__(
        self, session_maker: sessionmaker[Session], actor: Actor, profile: ZoneProfile
    ) -> None:
        self.session_maker, self.profile = session_maker, profile
        # The zone's date now, as the loan service reads it; the gate reads the day of the
        # crossing, at the last 10:00 at the zone (``crossing``): the day before, from 00:00
        # to 10:00 there.
        self.day = zone_today(profile.zone.timezone)
        self.crossing_day = zone_day(office_hours(), profile)
        with session_maker() as s:
            party = whitelisted_party(s, actor, profile)
            self.party_id = party.id
            entry = submit(
                s,
                party,
                profile,
                actor,
                DeclarationKind.FIRST_LINE_ENTRY,
                declared_on=self.day.isoformat(),
                lines=[line(**instrument())],
            )
            clear(s, entry, profile, actor)
            lot_id = entry.lines[0].result_lot_id
            assert lot_id is not None
            self.lot_id: int = lot_id
            self.hk_party_id = make_party(
                s,
                actor,
                kind="hk_institution",
                name_en="HKSTP Materials Lab",
                name_zh="香港科學園材料實驗室",
                uscc=None,
                hk_br=hk_br(),
                registered_in_csa=False,
            ).id
            s.commit()

    def loan_out(self, serial: str = "MS-001", *, days: int = 30, **fields: Any) -> dict[str, Any]:
        return {
            "direction": "out",
            "zone_party_id": self.party_id,
            "hk_party_id": self.hk_party_id,
            "lot_id": self.lot_id,
            "serial": serial,
            "purpose": "Joint proteomics run at the Hong Kong Park",
            "due_on": (self.day + dt.timedelta(days=days)).isoformat(),
            **fields,
        }

    def loan_in(self, serial: str = "HK-CRYO-7", *, days: int = 30) -> dict[str, Any]:
        return {
            "direction": "in",
            "zone_party_id": self.party_id,
            "hk_party_id": self.hk_party_id,
            "serial": serial,
            "purpose": "Shared cryo-electron microscopy sessions in the Shenzhen Park",
            "due_on": (self.day + dt.timedelta(days=days)).isoformat(),
            "hs_code": "9027.30",
            "description": "Spectrophotometer",
            "unit": "set",
            "origin": "JP",
            "customs_value": "800000.00",
            "currency": "CNY",
        }

    def set_due(self, loan_id: int, due_on: dt.date, *, recorded_on: dt.date | None = None) -> None:
        """Move a loan's dates back, as if it had been recorded earlier."""
        with self.session_maker() as s:
            s.execute(
                update(Loan)
                .where(Loan.id == loan_id)
                .values(due_on=due_on, recorded_on=recorded_on or due_on)
            )
            s.commit()


def record(client: TestClient, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(f"{V}/loans", json=body)
    assert response.status_code == 201, response.text
    loan: dict[str, Any] = response.json()
    return loan


def crossing(
    loan_id: int, serial: str, *, direction: str, point: str = "HUANGGANG"
) -> dict[str, Any]:
    return {
        "event_id": event_id(),
        "crossing_point": point,
        "direction": direction,
        "occurred_at": office_hours().isoformat(),
        "subject": {"type": "consignment", "loan_id": loan_id, "serial": serial},
    }


def cross(client: TestClient, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(f"{V}/crossings", json=body)
    assert response.status_code == 201, response.text
    decision: dict[str, Any] = response.json()["decision"]
    return decision


def codes(decision: dict[str, Any]) -> list[str]:
    return [r["code"] for r in decision["reasons"] if r["code"].startswith("loan.")]
