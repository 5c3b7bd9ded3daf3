"""R11 and R41: the approval a declaration line names is checked in the approvals register.

A special article (R11) or human genetic resources (R41) line may name its approval by number.
At lodging the register must hold it (kind and number), valid on the declared day, issued to the
declarant, covering the goods (HS code, kind, unit) with enough quantity left, or the
declaration is refused with ``R11.approval_unknown``, ``_expired``, ``_other_party``,
``_out_of_scope`` or ``_used_up`` (R41 alike). Clearing draws each line's quantity from it in the
same transaction with a conditional UPDATE, so an approval is never drawn below zero.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from declarations.support import DECLARED_ON, body, clear, counts, line, submit
from engine.support import codes, consignment, crossing, decided, goods, reason_for
from factories import bearer
from hetao.audit.service import Actor
from hetao.auth.principal import Role
from hetao.crossing.gather import consignment_facts
from hetao.crossing.schemas import ConsignmentIn
from hetao.declarations.checks import content_hash_of as content_hash
from hetao.declarations.kinds import DeclarationKind
from hetao.declarations.models import Declaration, DeclarationStatus
from hetao.declarations.schemas import DeclarationCreate
from hetao.engine.facts import Outcome, facts_from_json, facts_to_json
from hetao.errors import RuleViolation, ValidationFailed
from hetao.profiles import ZoneProfile
from hetao.registry import approvals as registry_approvals
from hetao.registry.models import Approval, ApprovalKind, Party
from hetao.registry.schemas import ApprovalCreate
from ledger.support import last_seq, tags_since

QUARANTINE = "SZ-QA-2026-0101"
HGR = "MOST-HGR-2026-0007"


def approve(session: Session, actor: Actor, party: Party, **overrides: Any) -> Approval:
    """A quarantine approval of 100 ml of heading 3002 samples, valid in November 2026."""
    values: dict[str, Any] = {
        "kind": ApprovalKind.SPECIAL_ARTICLE_QUARANTINE.value,
        "number": QUARANTINE,
        "issuer": "Shenzhen Customs (Futian)",
        "party_id": party.id,
        "hs_codes": ["3002"],
        "article_kinds": ["samples"],
        "quantity": "100",
        "unit": "ml",
        "valid_from": "2026-11-01",
        "valid_until": "2026-11-30",
    }
    values.update(overrides)
    return registry_approvals.record_approval(
        session, ApprovalCreate.model_validate(values), actor=actor
    )


def article(**overrides: Any) -> dict[str, Any]:
    """40 ml of cultures, a special article naming the quarantine approval."""
    values: dict[str, Any] = {
        "hs_code": "3002.90",
        "description": "Cell cultures for joint research",
        "quantity": "40",
        "unit": "ml",
        "goods_kind": "samples",
        "special_article": True,
        "special_article_approval": QUARANTINE,
    }
    values.update(overrides)
    return line(**values)


def hgr_sample(**overrides: Any) -> dict[str, Any]:
    """40 ml of human samples, HGR material naming its R41 approval."""
    values: dict[str, Any] = {"special_article": False, "special_article_approval": None}
    values["hgr_material"] = True
    values.update({"hgr_approval": HGR, **overrides})
    return article(**values)


def lodge(
    session: Session, party: Party, profile: ZoneProfile, actor: Actor, *lines: dict[str, Any]
) -> Declaration:
    return submit(
        session, party, profile, actor, DeclarationKind.FIRST_LINE_ENTRY, lines=list(lines)
    )


def refused(
    session: Session, party: Party, profile: ZoneProfile, actor: Actor, *lines: dict[str, Any]
) -> tuple[str, str]:
    """The field and rule a lodging is refused with; it writes nothing."""
    before = counts(session)
    with pytest.raises(RuleViolation) as caught:
        lodge(session, party, profile, actor, *lines)
    assert counts(session) == before
    problem = caught.value.problems[0]
    return problem.field, problem.rule


class TestLodging:
    def test_R11_an_approval_the_register_does_not_hold_is_refused(  # noqa: N802
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party
    ) -> None:
        assert refused(session, party, profile, actor, article()) == (
            "lines[0].special_article_approval",
            "R11.approval_unknown",
        )

    def test_R11_an_approval_of_the_other_kind_is_unknown(  # noqa: N802
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party
    ) -> None:
        approve(session, actor, party, kind=ApprovalKind.HUMAN_GENETIC_RESOURCES.value)
        assert refused(session, party, profile, actor, article())[1] == "R11.approval_unknown"

    def test_R11_an_approval_whose_validity_ended_before_the_day_is_expired(  # noqa: N802
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party
    ) -> None:
        approve(session, actor, party, valid_until="2026-11-15")
        assert refused(session, party, profile, actor, article())[1] == "R11.approval_expired"

    def test_R41_an_approval_issued_to_another_party_is_refused(  # noqa: N802
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party, other: Party
    ) -> None:
        approve(session, actor, other, kind=ApprovalKind.HUMAN_GENETIC_RESOURCES.value, number=HGR)
        assert refused(session, party, profile, actor, hgr_sample()) == (
            "lines[0].hgr_approval",
            "R41.approval_other_party",
        )

    def test_R11_goods_outside_the_approved_hs_scope_are_refused(  # noqa: N802
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party
    ) -> None:
        approve(session, actor, party)
        wrong = article(hs_code="3822.19")
        assert refused(session, party, profile, actor, wrong)[1] == "R11.approval_out_of_scope"

    def test_R41_lines_naming_one_approval_together_may_not_exceed_what_is_left(  # noqa: N802
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party
    ) -> None:
        approve(session, actor, party, kind=ApprovalKind.HUMAN_GENETIC_RESOURCES.value, number=HGR)
        sixty = hgr_sample(quantity="60")
        assert refused(session, party, profile, actor, sixty, sixty) == (
            "lines[1].hgr_approval",
            "R41.approval_used_up",
        )

    def test_R11_an_approval_is_named_only_on_goods_flagged_as_needing_it(  # noqa: N802
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party
    ) -> None:
        approve(session, actor, party)
        with pytest.raises(ValidationFailed) as caught:
            lodge(session, party, profile, actor, article(special_article=False))
        assert caught.value.problems[0].rule == "R11.approval_for_flagged_goods"


class TestClearing:
    def test_R11_clearing_draws_the_quantity_in_the_same_transaction(  # noqa: N802
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party
    ) -> None:
        approval = approve(session, actor, party)
        declaration = lodge(session, party, profile, actor, article(), article(quantity="25"))
        assert approval.drawn == 0
        before = last_seq(session)
        clear(session, declaration, profile, actor)
        assert declaration.status is DeclarationStatus.CLEARED
        assert (approval.drawn, approval.remaining) == (Decimal(65), Decimal(35))
        tags = tags_since(session, before)
        assert tags.count("registry:approval:draw") == 2
        assert tags[-1] == "ledger:declaration:clear"
        clear(session, declaration, profile, actor)  # a cleared declaration draws nothing again
        assert approval.drawn == Decimal(65)

    def test_R41_the_second_of_two_lodged_declarations_finds_the_approval_used_up(  # noqa: N802
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party
    ) -> None:
        approval = approve(
            session, actor, party, kind=ApprovalKind.HUMAN_GENETIC_RESOURCES.value, number=HGR
        )
        first = lodge(session, party, profile, actor, hgr_sample(quantity="70"))
        second = lodge(session, party, profile, actor, hgr_sample(quantity="70"))
        clear(session, first, profile, actor)
        with pytest.raises(RuleViolation) as caught:
            clear(session, second, profile, actor)
        assert caught.value.problems[0].rule == "R41.approval_used_up"
        assert (approval.drawn, second.status) == (Decimal(70), DeclarationStatus.SUBMITTED)

    def test_R11_an_approval_drawn_since_lodging_is_checked_again_at_clearing(  # noqa: N802
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party
    ) -> None:
        approval = approve(session, actor, party)
        declaration = lodge(session, party, profile, actor, article(quantity="80"))
        registry_approvals.draw_approval(
            session,
            approval,
            Decimal(30),
            declaration_id=declaration.id + 1,
            line_no=1,
            field="lines[0].special_article_approval",
            actor=actor,
        )
        with pytest.raises(RuleViolation) as caught:
            clear(session, declaration, profile, actor)
        assert caught.value.problems[0].rule == "R11.approval_used_up"
        assert approval.drawn == Decimal(30)


class TestApi:
    def test_R11_lodging_names_the_register_verdict_and_clearing_draws(  # noqa: N802
        self,
        client: TestClient,
        token_for: object,
        session: Session,
        actor: Actor,
        party: Party,
    ) -> None:
        approval = approve(session, actor, party)
        session.commit()
        unknown = body(
            party.id,
            DeclarationKind.FIRST_LINE_ENTRY,
            lines=[article(special_article_approval="SZ-QA-0000")],
        )
        response = client.post("/api/v1/declarations", json=unknown)
        assert response.status_code == 422, response.text
        error = response.json()["errors"][0]
        assert (error["field"], error["rule"]) == (
            "lines[0].special_article_approval",
            "R11.approval_unknown",
        )
        created = client.post(
            "/api/v1/declarations",
            json=body(party.id, DeclarationKind.FIRST_LINE_ENTRY, lines=[article()]),
        )
        assert created.status_code == 201, created.text
        assert created.json()["lines"][0]["special_article_approval"] == QUARANTINE
        assert callable(token_for)
        officer = bearer(token_for(Role.FIRST_LINE_OFFICER))
        url = f"/api/v1/declarations/{created.json()['id']}/clear"
        cleared = client.post(url, headers=officer)
        assert cleared.status_code == 200, cleared.text
        shown = client.get(f"/api/v1/approvals/{approval.id}").json()
        assert (Decimal(shown["drawn"]), Decimal(shown["remaining"])) == (Decimal(40), Decimal(60))


class TestGate:
    def test_R11_the_gate_refuses_on_the_register_verdict(self) -> None:  # noqa: N802
        line = goods(
            special_article=True,
            special_article_approval=QUARANTINE,
            special_article_approval_state="expired",
        )
        decision = decided(crossing(consignment(line)))
        assert decision.outcome is Outcome.REFUSE
        refused = reason_for(decision, "R11.approval_expired")
        assert (refused.rule, refused.subject) == ("R11", "line[1]")
        assert refused.text["en"] == f"Line 1: approval {QUARANTINE} has expired (R11)"
        assert refused.text["zh-Hans"] == f"第 1 项:批准 {QUARANTINE}已过期(R11)"

    def test_R41_facts_stored_before_the_register_replay_as_they_were_decided(  # noqa: N802
        self,
    ) -> None:
        facts = crossing(consignment(goods(hgr=True, hgr_approval=HGR)))
        stored = facts_to_json(facts)
        assert "hgr_approval_state" not in stored["subject"]["lines"][0]
        replayed = facts_from_json(stored)
        assert replayed == facts
        assert not [c for c in codes(decided(replayed)) if c.startswith("R41.")]
        used_up = crossing(
            consignment(goods(hgr=True, hgr_approval=HGR, hgr_approval_state="used_up"))
        )
        assert facts_from_json(facts_to_json(used_up)) == used_up
        assert "R41.approval_used_up" in codes(decided(used_up))

    def test_R11_the_gate_reads_the_register_for_the_approval_presented(  # noqa: N802
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party
    ) -> None:
        approval = approve(session, actor, party, quantity="40")
        declaration = lodge(session, party, profile, actor, article())
        clear(session, declaration, profile, actor)
        assert approval.remaining == 0

        def states(**presented: Any) -> tuple[str | None, str | None]:
            at = dt.datetime(2026, 11, 16, 2, tzinfo=dt.UTC)
            given = ConsignmentIn.model_validate({"declaration_id": declaration.id, **presented})
            facts = consignment_facts(session, given, at=at, day=DECLARED_ON, credentials=None)
            first = facts.lines[0]
            return first.special_article_approval, first.special_article_approval_state

        # The approval the line names, drawn at clearing, needs nothing left at the gate.
        assert states() == (QUARANTINE, "valid")
        other = [{"line_no": 1, "special_article_approval": "SZ-QA-0000"}]
        assert states(approvals=other) == ("SZ-QA-0000", "unknown")


def test_R11_a_line_naming_no_approval_keeps_the_content_hash_it_had() -> None:  # noqa: N802
    """A declaration lodged before lines could name approvals is retried as the same content:
    the hash below is the one the code before the approvals register gave this document."""
    data = DeclarationCreate.model_validate(
        body(1, DeclarationKind.FIRST_LINE_ENTRY, reference="REF-1")
    )
    assert content_hash(data) == "feb73d80a73ee2fbb527ac259df0cbfe81e7ecd2f97ce8be41114b24236d1291"
