"""A declaration is not used up twice (issue 15, point 5): what crosses is counted against each
declared line, partial crossings add up, and one carrying more than is left is refused, even
when two race for the last of a line."""

from __future__ import annotations

import threading
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from crossing.events.support import HUANGGANG_GATE, SEED_KEY
from crossing.events.test_declaration_at_the_gate import Zone, goods_event, post
from declarations.support import line
from hetao.audit.service import Actor
from hetao.crossing import rule_sets, service
from hetao.crossing.schemas import CrossingIn
from hetao.declarations.kinds import DeclarationKind
from hetao.declarations.models import DeclarationLine
from hetao.engine.decision import decide, decision_to_json
from hetao.engine.facts import ConsignmentFacts, facts_from_json
from hetao.engine.rules import shipped_rule_set
from hetao.profiles import ZoneProfile
from hetao.storage.engine import session_factory, unit_of_work

V = "/api/v1"


def used_up(decision: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for r in decision["reasons"] if r["code"] == "declaration.used_up"]


def crossed(session_maker: sessionmaker[Session], declaration_id: int) -> list[Decimal]:
    with session_maker() as s:
        stmt = (
            select(DeclarationLine.quantity_crossed)
            .where(DeclarationLine.declaration_id == declaration_id)
            .order_by(DeclarationLine.line_no)
        )
        return list(s.scalars(stmt))


def carrying(declaration_id: int, **quantities: str) -> dict[str, Any]:
    """A consignment event at Huanggang naming lines ``line_N="Q"``; none: all that is left."""
    subject: dict[str, Any] = {"declaration_id": declaration_id}
    if quantities:
        subject["lines"] = [
            {"line_no": int(name.removeprefix("line_")), "quantity": q}
            for name, q in quantities.items()
        ]
    return goods_event("HUANGGANG", "inbound", subject)


@pytest.fixture
def two_lines(session_maker: sessionmaker[Session], actor: Actor, profile: ZoneProfile) -> int:
    """A cleared first-line entry of 10 kits (line 1) and 4 kits (line 2)."""
    lines = [line(research_own_use=True), line(research_own_use=True, quantity="4")]
    return Zone(session_maker, actor, profile).declaration(
        DeclarationKind.FIRST_LINE_ENTRY, lines=lines
    )


class TestPartialCrossings:
    def test_partial_crossings_add_up_line_by_line(
        self, client: TestClient, session_maker: sessionmaker[Session], two_lines: int
    ) -> None:
        first = post(client, carrying(two_lines, line_1="4"))
        second = post(client, carrying(two_lines, line_1="5", line_2="4"))

        assert used_up(first) == used_up(second) == []
        assert {first["outcome"], second["outcome"]} <= {"release", "inspect"}
        assert crossed(session_maker, two_lines) == [Decimal(9), Decimal(4)]
        lines = second["inputs"]["subject"]["lines"]
        assert [(g["crossed"], g["presented"]) for g in lines] == [("4.000", "5"), ("0.000", "4")]

    def test_the_crossing_that_would_exceed_what_is_left_is_refused_naming_the_line(
        self, client: TestClient, session_maker: sessionmaker[Session], two_lines: int
    ) -> None:
        post(client, carrying(two_lines, line_1="9"))

        refused = post(client, carrying(two_lines, line_1="2"))

        assert refused["outcome"] == "refuse"
        [reason] = used_up(refused)
        assert reason["subject"] == "line[1]"
        assert reason["text"]["en"] == (
            f"Declaration {two_lines} line 1: 2 kit presented,"
            " but 9.000 kit of the 10.000 kit declared have crossed already"
        )
        assert crossed(session_maker, two_lines) == [Decimal(9), Decimal(0)]

    def test_a_crossing_naming_no_lines_carries_all_that_is_left_then_nothing_is(
        self, client: TestClient, session_maker: sessionmaker[Session], two_lines: int
    ) -> None:
        post(client, carrying(two_lines, line_1="3"))

        rest = post(client, carrying(two_lines))
        again = post(client, carrying(two_lines))

        assert used_up(rest) == []
        assert crossed(session_maker, two_lines) == [Decimal(10), Decimal(4)]
        assert again["outcome"] == "refuse"
        assert [r["subject"] for r in used_up(again)] == ["line[1]", "line[2]"]
        assert crossed(session_maker, two_lines) == [Decimal(10), Decimal(4)]

    def test_a_line_the_declaration_does_not_have_is_bad_input(
        self, client: TestClient, two_lines: int
    ) -> None:
        response = client.post(f"{V}/crossings", json=carrying(two_lines, line_3="1"))

        assert response.status_code == 422, response.text
        assert "crossing.line_unknown" in response.text


class TestReplay:
    def test_a_stored_partial_crossing_and_its_refusal_replay_as_decided(
        self, client: TestClient, two_lines: int
    ) -> None:
        passed = post(client, carrying(two_lines, line_1="10"))
        refused = post(client, carrying(two_lines, line_1="1"))

        for decision in (passed, refused):
            replay = client.post(f"{V}/crossings/{decision['crossing_id']}/replay")
            assert replay.status_code == 200, replay.text
            assert replay.json()["matches"] is True, replay.json()["differences"]
        assert used_up(refused) != []

    def test_facts_stored_before_crossings_were_counted_replay_unchecked(
        self, client: TestClient, two_lines: int, profile: ZoneProfile
    ) -> None:
        post(client, carrying(two_lines, line_1="10"))
        refused = post(client, carrying(two_lines, line_1="1"))
        inputs = refused["inputs"]
        for goods in inputs["subject"]["lines"]:  # as stored before the gate counted them
            del goods["crossed"], goods["presented"]

        facts = facts_from_json(inputs)
        again = decide(facts, shipped_rule_set(), profile, seed=bytes(32))

        assert isinstance(facts.subject, ConsignmentFacts)
        assert all(g.crossed is None for g in facts.subject.lines)
        assert used_up(decision_to_json(again)) == []


def test_two_crossings_racing_for_the_last_of_a_line_never_together_exceed_it(
    committing_engine: Engine, actor: Actor, profile: ZoneProfile
) -> None:
    factory = session_factory(committing_engine)
    declaration_id = Zone(factory, actor, profile).declaration(
        DeclarationKind.FIRST_LINE_ENTRY, lines=[line(research_own_use=True)]
    )
    payloads = [CrossingIn.model_validate(carrying(declaration_id, line_1="6")) for _ in "ab"]
    with unit_of_work(factory) as session:  # the shipped rules stored before the race
        rule_sets.active_rule_set(
            session, at=payloads[0].occurred_at, profile=profile, actor=Actor("test", "setup")
        )
    barrier = threading.Barrier(2)
    outcomes: list[list[str]] = []
    errors: list[BaseException] = []

    def cross(payload: CrossingIn) -> None:
        try:
            barrier.wait()
            with unit_of_work(factory) as session:
                event, _ = service.record_crossing(
                    session,
                    payload,
                    device=HUANGGANG_GATE,
                    profile=profile,
                    seed_key=SEED_KEY,
                    actor=Actor("device", "gate-2"),
                )
                outcomes.append([str(r["code"]) for r in event.decision.reasons])
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=cross, args=(p,)) for p in payloads]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sorted("declaration.used_up" in codes for codes in outcomes) == [False, True]
    assert crossed(factory, declaration_id) == [Decimal(6)]
