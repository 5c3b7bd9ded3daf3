"""The approvals register: R11 special-article quarantine and R41 human-genetic-resources
approvals, each issued to a party for goods in a scope, up to a quantity, in a window.

A declaration line's approval is a fact of this register on the day, never a string taken on
trust (tests/declarations/test_approvals_checked.py): here, recording, the register's
verdict and the drawing down, which never goes below what is left.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy.orm import Session

from factories import bearer, make_party
from hetao.audit.service import Actor
from hetao.auth.principal import Role
from hetao.errors import Conflict, RuleViolation
from hetao.registry import approvals
from hetao.registry.approvals import ApprovalState
from hetao.registry.models import Approval, ApprovalKind, Party
from hetao.registry.schemas import ApprovalCreate
from ledger.support import last_seq, tags_since

ON = dt.date(2026, 11, 16)
SPECIAL = ApprovalKind.SPECIAL_ARTICLE_QUARANTINE
HGR = ApprovalKind.HUMAN_GENETIC_RESOURCES


def document(party_id: int, **overrides: Any) -> dict[str, Any]:
    """A quarantine approval of 100 ml of antisera and cultures, valid through 2026."""
    values: dict[str, Any] = {
        "kind": SPECIAL.value,
        "number": "SZ-QA-2026-0101",
        "issuer": "Shenzhen Customs (Futian)",
        "party_id": party_id,
        "hs_codes": ["3002"],
        "article_kinds": ["samples"],
        "quantity": "100",
        "unit": "ml",
        "valid_from": "2026-01-01",
        "valid_until": "2026-12-31",
    }
    values.update(overrides)
    return values


def record(session: Session, actor: Actor, party: Party, **overrides: Any) -> Approval:
    data = ApprovalCreate.model_validate(document(party.id, **overrides))
    return approvals.record_approval(session, data, actor=actor)


def verdict(approval: Approval | None, party: Party, **overrides: Any) -> ApprovalState:
    asked: dict[str, Any] = {
        "party_id": party.id,
        "hs_code": "300290",
        "goods_kind": "samples",
        "quantity": Decimal("40"),
        "unit": "ml",
        "on": ON,
    }
    asked.update(overrides)
    return approvals.approval_state(approval, **asked)


class TestRecording:
    def test_R11_a_recorded_approval_is_audited_and_unique_by_kind_and_number(  # noqa: N802
        self, session: Session, actor: Actor
    ) -> None:
        party = make_party(session, actor)
        before = last_seq(session)
        approval = record(session, actor, party)
        assert (approval.drawn, approval.remaining) == (Decimal(0), Decimal(100))
        assert tags_since(session, before) == ["registry:approval:create"]
        with pytest.raises(Conflict):
            record(session, actor, party)
        assert record(session, actor, party, kind=HGR.value).kind is HGR
        in_use = record(session, actor, party, number="SZ-QA-2025-0999", drawn="30.5")
        assert in_use.remaining == Decimal("69.5")

    def test_R41_an_approval_names_its_scope_and_an_ordered_window(self) -> None:  # noqa: N802
        with pytest.raises(ValidationError, match=r"approval\.scope"):
            ApprovalCreate.model_validate(document(1, hs_codes=[], article_kinds=[]))
        with pytest.raises(ValidationError, match=r"approval\.window"):
            ApprovalCreate.model_validate(document(1, valid_until="2025-12-31"))
        with pytest.raises(ValidationError, match=r"approval\.drawn"):
            ApprovalCreate.model_validate(document(1, drawn="100.001"))
        with pytest.raises(ValidationError, match=r"hs2022"):
            ApprovalCreate.model_validate(document(1, hs_codes=["9999"]))


class TestVerdict:
    def test_R11_the_register_decides_each_state_on_the_day(  # noqa: N802
        self, session: Session, actor: Actor
    ) -> None:
        party = make_party(session, actor)
        other = make_party(session, actor, name_en="Huanggang Quantum Devices Ltd.")
        approval = record(session, actor, party)
        assert verdict(approval, party) is ApprovalState.VALID
        assert verdict(None, party) is ApprovalState.UNKNOWN
        assert verdict(approval, other) is ApprovalState.OTHER_PARTY
        assert verdict(approval, party, on=dt.date(2027, 1, 1)) is ApprovalState.EXPIRED
        assert verdict(approval, party, on=dt.date(2025, 12, 31)) is ApprovalState.NOT_YET_VALID
        assert verdict(approval, party, hs_code="382219") is ApprovalState.OUT_OF_SCOPE
        assert verdict(approval, party, goods_kind="equipment") is ApprovalState.OUT_OF_SCOPE
        assert verdict(approval, party, unit="kg") is ApprovalState.OUT_OF_SCOPE
        assert verdict(approval, party, quantity=Decimal("100")) is ApprovalState.VALID
        assert verdict(approval, party, quantity=Decimal("100.001")) is ApprovalState.USED_UP

    def test_R41_an_hs_scope_alone_admits_any_kind_of_goods_within_it(  # noqa: N802
        self, session: Session, actor: Actor
    ) -> None:
        party = make_party(session, actor)
        approval = record(session, actor, party, kind=HGR.value, article_kinds=[])
        assert verdict(approval, party, goods_kind="specimens") is ApprovalState.VALID


class TestDrawing:
    def test_R11_drawing_stops_at_the_approved_quantity(  # noqa: N802
        self, session: Session, actor: Actor
    ) -> None:
        party = make_party(session, actor)
        approval = record(session, actor, party)
        before = last_seq(session)

        def draw(quantity: str) -> None:
            approvals.draw_approval(
                session,
                approval,
                Decimal(quantity),
                declaration_id=1,
                line_no=1,
                field="lines[0].special_article_approval",
                actor=actor,
            )

        draw("60")
        with pytest.raises(RuleViolation) as caught:
            draw("40.001")
        assert caught.value.problems[0].rule == "R11.approval_used_up"
        draw("40")
        session.expire_all()
        stored = session.get(Approval, approval.id)
        assert stored is not None
        assert (stored.drawn, stored.remaining) == (Decimal(100), Decimal(0))
        assert tags_since(session, before) == ["registry:approval:draw"] * 2


class TestApi:
    def test_R11_a_zone_reviewer_records_and_reads_an_approval(  # noqa: N802
        self, anonymous_client: TestClient, token_for: object, session: Session, actor: Actor
    ) -> None:
        party = make_party(session, actor)
        session.commit()
        assert callable(token_for)
        headers = bearer(token_for(Role.ZONE_REVIEWER))
        created = anonymous_client.post(
            "/api/v1/approvals", json=document(party.id), headers=headers
        )
        assert created.status_code == 201, created.text
        out = created.json()
        assert out["kind"] == SPECIAL.value
        assert (Decimal(out["drawn"]), Decimal(out["remaining"])) == (Decimal(0), Decimal(100))
        shown = anonymous_client.get(f"/api/v1/approvals/{out['id']}", headers=headers)
        assert shown.json()["number"] == "SZ-QA-2026-0101"
        again = anonymous_client.post("/api/v1/approvals", json=document(party.id), headers=headers)
        assert again.status_code == 409
        listed = anonymous_client.get(
            f"/api/v1/approvals?kind={SPECIAL.value}&party_id={party.id}", headers=headers
        )
        assert [a["id"] for a in listed.json()["items"]] == [out["id"]]

    def test_R41_an_enterprise_user_reads_its_own_approvals_only(  # noqa: N802
        self, anonymous_client: TestClient, token_for: object, session: Session, actor: Actor
    ) -> None:
        party = make_party(session, actor)
        other = make_party(session, actor, name_en="Huanggang Quantum Devices Ltd.")
        own = record(session, actor, party, kind=HGR.value, number="MOST-HGR-2026-0007")
        theirs = record(session, actor, other, kind=HGR.value, number="MOST-HGR-2026-0008")
        session.commit()
        assert callable(token_for)
        headers = bearer(token_for(Role.ENTERPRISE_USER, party_id=party.id))
        listed = anonymous_client.get("/api/v1/approvals", headers=headers).json()
        assert [a["id"] for a in listed["items"]] == [own.id]
        assert anonymous_client.get(f"/api/v1/approvals/{own.id}", headers=headers).is_success
        hidden = anonymous_client.get(f"/api/v1/approvals/{theirs.id}", headers=headers)
        assert hidden.status_code == 404
        posted = anonymous_client.post(
            "/api/v1/approvals", json=document(party.id, number="X-1"), headers=headers
        )
        assert posted.status_code == 403
