"""The loan routes' rows of tests/test_access_matrix.py: who may call them, and a call each.

Written by hand from docs/access.md, as the rest of the matrix.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, Protocol

from sqlalchemy.orm import Session

from factories import hk_br, make_party
from hetao.audit.service import Actor
from hetao.auth.principal import Role
from hetao.loans import service
from hetao.loans.models import Loan, LoanStatus
from hetao.loans.schemas import LoanCreate
from hetao.profiles import ZoneProfile
from hetao.timeutil import zone_today

R = Role
STAFF = frozenset(
    {R.ZONE_REVIEWER, R.FIRST_LINE_OFFICER, R.SECOND_LINE_OFFICER, R.AUDITOR, R.ADMINISTRATOR}
)
READERS = STAFF | {R.ENTERPRISE_USER}
RECORDERS = frozenset({R.ENTERPRISE_USER, R.ADMINISTRATOR})
PORTAL = frozenset({R.ENTERPRISE_USER})
OFFICERS = frozenset({R.FIRST_LINE_OFFICER, R.SECOND_LINE_OFFICER, R.ADMINISTRATOR})
ACTOR = Actor("test", "matrix")
V = "/api/v1"


class World(Protocol):
    session: Session
    profile: ZoneProfile

    def party(self, whose: str) -> int: ...
    def lot(self, whose: str) -> int: ...


class Call(Protocol):
    def __call__(self, method: str, url: str, json: Any = None) -> Any: ...


def loan_body(w: World, whose: str) -> dict[str, Any]:
    """A loan of one of the party's reagent kits to a fresh Hong Kong institution."""
    hk = make_party(w.session, ACTOR, kind="hk_institution", uscc=None, hk_br=hk_br())
    due = zone_today(w.profile.zone.timezone) + dt.timedelta(days=30)
    return {
        "direction": "out",
        "zone_party_id": w.party(whose),
        "hk_party_id": hk.id,
        "lot_id": w.lot(whose),
        "serial": "KIT-1",
        "purpose": "A shared run at the Hong Kong Park",
        "due_on": due.isoformat(),
    }


def loan_for(w: World, whose: str) -> int:
    """A recorded loan of the party's."""
    body = loan_body(w, whose)
    data = LoanCreate.model_validate(body)
    today = zone_today(w.profile.zone.timezone)
    loan = service.record(
        w.session,
        data,
        zone_party_id=body["zone_party_id"],
        profile=w.profile,
        today=today,
        actor=ACTOR,
    )
    return loan.id


def taxable_for(w: World, whose: str) -> tuple[int, str]:
    """A loan of the party's whose instrument stayed away past the grace period, flagged
    taxable by the daily job; with the assessment's total, which its payment must be."""
    loan_id = loan_for(w, whose)
    loan = w.session.get(Loan, loan_id)
    assert loan is not None
    today = zone_today(w.profile.zone.timezone)
    loan.status = LoanStatus.AWAY
    loan.recorded_on = loan.due_on = today - dt.timedelta(days=w.profile.loans.grace_days + 1)
    w.session.flush()
    service.flag_overdue(w.session, day=today, profile=w.profile, actor=ACTOR)
    return loan_id, str(loan.tax_total)


def _payment(w: World, whose: str) -> dict[str, Any]:
    loan_id, total = taxable_for(w, whose)
    return {"id": loan_id, "payment_reference": "RCPT-1", "amount": total}


LOAN_MATRIX: dict[tuple[str, str], frozenset[Role] | None] = {
    ("POST", f"{V}/loans"): RECORDERS,
    ("GET", f"{V}/loans"): READERS,
    ("GET", f"{V}/loans/{{loan_id}}"): READERS,
    ("POST", f"{V}/loans/{{loan_id}}/cancel"): OFFICERS,
    ("POST", f"{V}/loans/{{loan_id}}/correct"): OFFICERS,
    ("POST", f"{V}/loans/{{loan_id}}/payment"): OFFICERS,
    ("GET", f"{V}/reports/instruments-outside"): READERS,
    ("GET", f"{V}/reports/instruments-outside.csv"): READERS,
    # Pages: the portal's are the enterprise's own (its party fixed by the page), the port's
    # are the officers'.
    ("GET", "/portal/loans"): PORTAL,
    ("GET", "/portal/loans/new"): PORTAL,
    ("POST", "/portal/loans"): PORTAL,
    ("GET", "/portal/loans/{loan_id}"): PORTAL,
    ("GET", "/port/loans"): OFFICERS,
    ("GET", "/port/loans/{loan_id}"): OFFICERS,
    ("POST", "/port/loans/{loan_id}/cancel"): OFFICERS,
    ("POST", "/port/loans/{loan_id}/correct"): OFFICERS,
    ("POST", "/port/loans/{loan_id}/payment"): OFFICERS,
    ("GET", "/port/loans/outside"): OFFICERS,
    ("GET", "/port/loans/outside.csv"): OFFICERS,
}
#: Each loan is its zone party's: an enterprise user is confined to its own. The CSV is the
#: JSON report's rows under the same confinement; the matrix reads JSON to check it.
LOAN_PARTY_OBJECTS = {key for key in LOAN_MATRIX if key[1].startswith(V)} - {
    ("GET", f"{V}/reports/instruments-outside.csv")
}


def builders(
    call: Callable[..., Any], form: Callable[..., Any]
) -> dict[tuple[str, str], Callable[[Any, str], Any]]:
    """The calls of the loan routes, made with the matrix's ``Call`` and ``form``."""

    def portal_form(w: World, _: str) -> Any:
        # The page fixes the zone party to the signed-in user's: the form names its own lot.
        body = loan_body(w, "own")
        del body["zone_party_id"]
        return form("/portal/loans", **body)

    def api_payment(w: World, whose: str) -> Any:
        body = _payment(w, whose)
        return call("POST", f"{V}/loans/{body.pop('id')}/payment", json=body)

    def page_payment(w: World, whose: str) -> Any:
        body = _payment(w, whose)
        return form(f"/port/loans/{body.pop('id')}/payment", **body)

    return {
        ("POST", f"{V}/loans"): lambda w, o: call("POST", f"{V}/loans", json=loan_body(w, o)),
        ("GET", f"{V}/loans"): lambda w, o: call("GET", f"{V}/loans?zone_party_id={w.party(o)}"),
        ("GET", f"{V}/loans/{{loan_id}}"): lambda w, o: call("GET", f"{V}/loans/{loan_for(w, o)}"),
        ("GET", f"{V}/reports/instruments-outside"): lambda w, o: call(
            "GET", f"{V}/reports/instruments-outside?zone_party_id={w.party(o)}"
        ),
        ("GET", f"{V}/reports/instruments-outside.csv"): lambda w, o: call(
            "GET", f"{V}/reports/instruments-outside.csv?zone_party_id={w.party(o)}"
        ),
        ("GET", "/portal/loans"): lambda w, o: call("GET", "/portal/loans"),
        ("GET", "/portal/loans/new"): lambda w, o: call("GET", "/portal/loans/new"),
        ("POST", "/portal/loans"): portal_form,
        ("POST", f"{V}/loans/{{loan_id}}/cancel"): lambda w, o: call(
            "POST", f"{V}/loans/{loan_for(w, o)}/cancel", json={"cancel_reason": "In error"}
        ),
        ("POST", f"{V}/loans/{{loan_id}}/correct"): lambda w, o: call(
            "POST",
            f"{V}/loans/{loan_for(w, o)}/correct",
            json={"serial": "KIT-2", "reason": "Typo"},
        ),
        ("POST", f"{V}/loans/{{loan_id}}/payment"): api_payment,
        ("GET", "/portal/loans/{loan_id}"): lambda w, o: call(
            "GET", f"/portal/loans/{loan_for(w, o)}"
        ),
        ("GET", "/port/loans/{loan_id}"): lambda w, o: call("GET", f"/port/loans/{loan_for(w, o)}"),
        ("POST", "/port/loans/{loan_id}/cancel"): lambda w, o: form(
            f"/port/loans/{loan_for(w, o)}/cancel", cancel_reason="In error"
        ),
        ("POST", "/port/loans/{loan_id}/correct"): lambda w, o: form(
            f"/port/loans/{loan_for(w, o)}/correct", serial="KIT-2", reason="Typo"
        ),
        ("POST", "/port/loans/{loan_id}/payment"): page_payment,
        ("GET", "/port/loans"): lambda w, o: call("GET", "/port/loans?status=overdue"),
        ("GET", "/port/loans/outside"): lambda w, o: call("GET", "/port/loans/outside"),
        ("GET", "/port/loans/outside.csv"): lambda w, o: call("GET", "/port/loans/outside.csv"),
    }
