"""A declaration is not used up twice: what crosses is counted against each declared line.

The gather step reads each line's ``quantity_crossed`` with the declaration; the crossing
committer (``service.write_crossings``) reads it again under its write, decides on that, and
adds what a released or inspected crossing carries with a conditional UPDATE that never passes
the declared quantity. Two crossings racing for the last of a line cannot both have it: the
second is decided on what the first left, and refused (``declaration.used_up``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from decimal import Decimal

from sqlalchemy.orm import Session

from hetao.declarations import repository as declarations_repository
from hetao.engine.facts import (
    ConsignmentFacts,
    CrossingFacts,
    GoodsLine,
    Outcome,
    VehicleFacts,
    consignments_of,
)

#: A declaration line: its declaration's id and its number.
LineKey = tuple[int, int]

#: The outcomes that let the goods on: their quantity counts as crossed.
_CROSSING = frozenset({Outcome.RELEASE, Outcome.INSPECT})


def _counted(facts: CrossingFacts) -> Iterator[tuple[LineKey, GoodsLine]]:
    """The lines whose crossings are counted (gathered since they were), by their key."""
    for c in consignments_of(facts.subject):
        if c.declaration_id is not None:
            for line in c.lines:
                if line.crossed is not None:
                    yield (c.declaration_id, line.line_no), line


def current(session: Session, facts: CrossingFacts) -> CrossingFacts:
    """The facts with each counted line's quantity crossed as stored now (one query)."""
    declarations = {key[0] for key, _ in _counted(facts)}
    if not declarations:
        return facts
    # What is stored, then what the crossing's earlier consignments under the same
    # declaration carry (a vehicle may bring two): each is decided on what the others leave.
    crossed = declarations_repository.quantities_crossed(session, sorted(declarations))

    def consignment(c: ConsignmentFacts) -> ConsignmentFacts:
        lines = []
        for gathered in c.lines:
            line = gathered
            if gathered.crossed is not None and c.declaration_id is not None:
                key = (c.declaration_id, gathered.line_no)
                now = crossed.get(key, gathered.crossed)
                line = dataclasses.replace(gathered, crossed=now)
                crossed[key] = now + line.carried
            lines.append(line)
        return dataclasses.replace(c, lines=tuple(lines))

    subject = facts.subject
    if isinstance(subject, ConsignmentFacts):
        return dataclasses.replace(facts, subject=consignment(subject))
    if not isinstance(subject, VehicleFacts):  # a person carries no declared goods
        return facts
    consignments = tuple(consignment(c) for c in subject.consignments)
    return dataclasses.replace(
        facts, subject=dataclasses.replace(subject, consignments=consignments)
    )


def count(session: Session, facts: CrossingFacts, outcome: Outcome) -> bool:
    """Add what a crossing let on carries to each line's quantity crossed, in the caller's
    transaction. False, with nothing added, when a line has not that much left (the
    conditional UPDATE matched no row): the caller decides again on ``current`` facts."""
    if outcome not in _CROSSING:
        return True
    carried: dict[LineKey, Decimal] = {}
    for key, line in _counted(facts):
        if line.carried > 0:
            carried[key] = carried.get(key, Decimal(0)) + line.carried
    connection = session.connection()
    added: list[dict[str, object]] = []
    for (declaration, line_no), quantity in sorted(carried.items()):
        params = {"declaration": declaration, "line": line_no, "carried": quantity}
        if not declarations_repository.add_crossed(connection, params):
            for done in added:
                declarations_repository.take_back_crossed(connection, done)
            return False
        added.append(params)
    return True
