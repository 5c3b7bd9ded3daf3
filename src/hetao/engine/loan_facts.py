"""The facts of an instrument crossing on a loan (issue 20), and their JSON for replay."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Protocol


class Reader(Protocol):
    """What reading stored facts offers (``hetao.engine.facts``): each names a bad key."""

    def integer(self, name: str, default: int | None = None) -> int: ...
    def string(self, name: str) -> str: ...
    def boolean(self, name: str, default: bool = False) -> bool: ...
    def opt_string(self, name: str) -> str | None: ...
    def opt_integer(self, name: str) -> int | None: ...
    def opt_date(self, name: str) -> dt.date | None: ...


@dataclass(frozen=True, slots=True)
class LoanFacts:
    """The loan an instrument crosses under, as recorded when the crossing was decided."""

    loan_id: int
    serial_presented: str
    """The instrument's serial as the gate read it."""
    found: bool = False
    direction: str | None = None
    """``hetao.loans.models.LoanDirection`` value: "out" (to Hong Kong) or "in" (from it)."""
    status: str | None = None
    """``LoanStatus`` value when the crossing was decided."""
    serial: str | None = None
    """The serial the loan records."""
    zone_party_id: int | None = None
    due_on: dt.date | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "loan_id": self.loan_id,
            "serial_presented": self.serial_presented,
            "found": self.found,
            "direction": self.direction,
            "status": self.status,
            "serial": self.serial,
            "zone_party_id": self.zone_party_id,
            "due_on": None if self.due_on is None else self.due_on.isoformat(),
        }


def read_loan(r: Reader | None) -> LoanFacts | None:
    """The loan facts ``LoanFacts.to_json`` stored; None where the goods crossed on none."""
    if r is None:
        return None
    return LoanFacts(
        loan_id=r.integer("loan_id"),
        serial_presented=r.string("serial_presented"),
        found=r.boolean("found"),
        direction=r.opt_string("direction"),
        status=r.opt_string("status"),
        serial=r.opt_string("serial"),
        zone_party_id=r.opt_integer("zone_party_id"),
        due_on=r.opt_date("due_on"),
    )
