"""``decision_to_json`` is frozen: stored decisions are replayed years later, compared key by key.

``decision_golden.json`` holds, per generated crossing, the SHA-256 of the decision's JSON text
(key order included) as the engine produced it when the file was recorded. Any change to the
engine that alters a decision's document, its reasons' texts or their order fails here and names
the case. Re-record only for a deliberate, versioned change of meaning:

    PYTHONPATH=src:tests .venv/bin/python tests/crossing/engine/test_decision_golden.py --record
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import random
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from engine.jdm import random_facts
from engine.support import with_selection
from hetao.engine.decision import decide, decision_from_json, decision_to_json
from hetao.engine.facts import (
    NOT_WHITELISTED,
    ConsignmentFacts,
    CredentialFacts,
    CrossingFacts,
    PersonFacts,
    SelectionState,
    VehicleFacts,
    WhitelistStanding,
    facts_from_json,
    facts_to_json,
)
from hetao.engine.rules import shipped_rule_set
from hetao.profiles import ZoneProfile, load_profile

GOLDEN = Path(__file__).with_name("decision_golden.json")
SEEDS = (bytes(range(32)), b"\x07" * 48, b"short seed")
_CREDENTIAL_STATUSES = ("valid", "revoked", "expired", "invalid_signature", "unknown_key", "odd")
_STANDING_STATUSES = ("active", "active", "suspended", "revoked", "expired", "pending", None)


def _bent_standing(rng: random.Random, standing: WhitelistStanding) -> WhitelistStanding:
    """The standing with one thing wrong now and then (status, window, scope, lockout)."""
    roll = rng.random()
    if roll < 0.5:
        return standing
    if roll < 0.6:
        return NOT_WHITELISTED
    changes: dict[str, Any] = {"status": rng.choice(_STANDING_STATUSES)}
    if rng.random() < 0.3:
        changes["valid_from"] = dt.date(2026, 11, 25)
    if rng.random() < 0.3:
        changes["valid_until"] = rng.choice((dt.date(2026, 11, 24), None))
    if rng.random() < 0.3:
        changes["flows"] = rng.choice(((), ("people",), ("goods",)))
    if rng.random() < 0.3:
        changes["lines"] = rng.choice(((), ("first",), ("second",)))
    if rng.random() < 0.3:
        changes["exemptions"] = ()
    if rng.random() < 0.3:
        changes["locked_out_goods_kinds"] = ("instruments", "reagents")
    return dataclasses.replace(standing, **changes)


def _bent_person(rng: random.Random, person: PersonFacts) -> PersonFacts:
    credential = None
    if rng.random() < 0.4:
        credential = CredentialFacts(
            f"zc-{rng.randint(1, 999):04d}", rng.choice(_CREDENTIAL_STATUSES)
        )
    return dataclasses.replace(
        person,
        whitelist=_bent_standing(rng, person.whitelist),
        credential=credential,
        designated_carrier=rng.random() < 0.7,
    )


def _bent_consignment(rng: random.Random, c: ConsignmentFacts) -> ConsignmentFacts:
    lines = tuple(
        dataclasses.replace(
            line,
            special_article=rng.random() < 0.15,
            special_article_approval=rng.choice((None, "QA-1")),
            hgr=rng.random() < 0.15,
            hgr_approval=rng.choice((None, "HGR-9")),
            value_cny=line.value_cny + Decimal("0.50") * rng.randint(0, 1),
        )
        for line in c.lines
    )
    party = c.party
    if party is not None:
        party = dataclasses.replace(
            party,
            status=rng.choice(("active", "active", "active", "dissolved")),
            whitelist=_bent_standing(rng, party.whitelist),
        )
    carrier = None
    if rng.random() < 0.7:
        carrier = _bent_person(
            rng,
            PersonFacts(
                rng.randint(1, 99), "hong_kong", party.whitelist if party else NOT_WHITELISTED
            ),
        )
    return dataclasses.replace(
        c,
        declaration_id=None if rng.random() < 0.1 else c.declaration_id,
        party=party,
        lines=lines,
        hand_carried=rng.random() < 0.4,
        carrier=carrier,
    )


def _bent(rng: random.Random, facts: CrossingFacts) -> CrossingFacts:
    """``random_facts`` covers the tables; this covers gating, the regime rules and the cap."""
    subject = facts.subject
    if isinstance(subject, PersonFacts):
        subject = _bent_person(rng, subject)
    elif isinstance(subject, ConsignmentFacts):
        subject = _bent_consignment(rng, subject)
    elif isinstance(subject, VehicleFacts):
        subject = dataclasses.replace(
            subject,
            permit_valid_here=rng.random() < 0.8,
            whitelist=_bent_standing(
                rng, subject.owner.whitelist if subject.owner else NOT_WHITELISTED
            ),
            driver=_bent_person(rng, PersonFacts(5, "macao", NOT_WHITELISTED))
            if rng.random() < 0.7
            else None,
            passengers=tuple(
                _bent_person(rng, PersonFacts(6 + n, None, NOT_WHITELISTED))
                for n in range(rng.randint(0, 2))
            ),
            consignments=tuple(_bent_consignment(rng, c) for c in subject.consignments),
        )
    selection = None
    if rng.random() < 0.4:
        selection = SelectionState(
            period_start=facts.occurred_at.replace(minute=0),
            inspections_in_period=rng.choice((0, 3, 10_000)),
            crossings_in_period=rng.randint(0, 500),
        )
    point, line, direction = facts.crossing_point, facts.line, facts.direction
    roll = rng.random()
    if roll < 0.05:
        point = "NOWHERE"
    elif roll < 0.1:
        line = "second" if line == "first" else "first"
    elif roll < 0.15:
        direction = "sideways"
    return dataclasses.replace(
        facts,
        subject=subject,
        selection=selection,
        crossing_point=point,
        line=line,
        direction=direction,
    )


def _gate_person(rng: random.Random, index: int, profile: ZoneProfile) -> CrossingFacts:
    """The commonest crossing, as the bench sends it: a listed traveller at a gate."""
    point = rng.choice([p for p in profile.crossing_points if "people" in p.flows])
    standing = WhitelistStanding(
        entry_id=index,
        status="active",
        valid_from=dt.date(2026, 1, 1),
        valid_until=dt.date(2027, 12, 31),
        flows=("people", "goods"),
        lines=("first", "second"),
    )
    facts = CrossingFacts(
        event_id=f"gate-{index % 64}/{index:08d}",
        crossing_point=point.code,
        line=point.line.value,
        direction=rng.choice(point.directions).value,
        occurred_at=dt.datetime(2026, 11, 23, tzinfo=dt.UTC)
        + dt.timedelta(seconds=rng.randrange(7 * 86400)),
        subject=PersonFacts(index, "hong_kong", standing),
    )
    if rng.random() < 0.5:
        facts = dataclasses.replace(
            facts,
            selection=SelectionState(
                period_start=facts.occurred_at.replace(minute=0, second=0),
                inspections_in_period=rng.choice((0, 2, 3, 50)),
                crossings_in_period=rng.randint(0, 500),
            ),
        )
    return facts


def cases() -> Iterator[tuple[CrossingFacts, ZoneProfile, bytes]]:
    """440 crossings: 200 generated (two in three bent) in hetao, 120 in hengqin, and 120
    gate travellers in hetao with high random rates and a cap of 3, three seeds in turn."""
    hetao, hengqin = load_profile("hetao"), load_profile("hengqin")
    selective = with_selection(hetao, rates=("0.40", "0.60", "0.90"), max_inspections=3)
    rng = random.Random(20261123)
    for index in range(440):
        seed = SEEDS[index % len(SEEDS)]
        if index >= 320:
            yield _gate_person(rng, index, selective), selective, seed
            continue
        profile = hetao if index < 200 else hengqin
        facts = random_facts(rng, profile, index=index)
        if index % 3:
            facts = _bent(rng, facts)
        yield facts, profile, seed


def document_hash(document: dict[str, Any]) -> str:
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def recorded() -> list[str]:
    digests: list[str] = json.loads(GOLDEN.read_text(encoding="utf-8"))["decisions"]
    return digests


@pytest.fixture(scope="module")
def documents() -> list[dict[str, Any]]:
    rules = shipped_rule_set()
    return [decision_to_json(decide(f, rules, p, seed=s)) for f, p, s in cases()]


def test_decision_json_is_unchanged(documents: list[dict[str, Any]]) -> None:
    expected = recorded()
    assert len(documents) == len(expected)
    changed = [i for i, d in enumerate(documents) if document_hash(d) != expected[i]]
    assert not changed, f"decision JSON changed for cases {changed[:20]}"


def test_the_cases_reach_gating_regime_tables_and_selection(
    documents: list[dict[str, Any]],
) -> None:
    seen = {r["code"].split(".")[0] for d in documents for r in d["reasons"]}
    assert {"whitelist", "credential", "point", "R11", "R13", "R41", "R15", "selection"} <= seen
    assert any(r["rule"].startswith("risk:") for d in documents for r in d["reasons"])
    assert {d["outcome"] for d in documents} == {"release", "inspect", "refuse"}


def test_a_stored_decision_reads_back_to_the_same_json(documents: list[dict[str, Any]]) -> None:
    for document in documents:
        assert decision_to_json(decision_from_json(document)) == document
        assert facts_to_json(facts_from_json(document["inputs"])) == document["inputs"]


def record() -> None:
    rules = shipped_rule_set()
    digests = [document_hash(decision_to_json(decide(f, rules, p, seed=s))) for f, p, s in cases()]
    GOLDEN.write_text(json.dumps({"decisions": digests}, indent=1) + "\n", encoding="utf-8")
    sys.stdout.write(f"recorded {len(digests)} decisions in {GOLDEN}\n")


if __name__ == "__main__" and sys.argv[1:] == ["--record"]:
    record()
