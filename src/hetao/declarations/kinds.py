"""What a declaration does to goods, and which line each kind crosses: pure vocabulary.

Kept apart from the declaration tables so the decision engine, which must not touch the
database, can tell which declarations a crossing may present.
"""

from __future__ import annotations

from enum import StrEnum

from hetao.profiles import Direction, Line


class DeclarationKind(StrEnum):
    """What a declaration does to the goods; decides the ledger verb and the tax movement."""

    FIRST_LINE_ENTRY = "first_line_entry"
    """Hong Kong -> zone: admits new lots."""
    FIRST_LINE_EXIT = "first_line_exit"
    """Zone -> Hong Kong: exports goods from lots."""
    SECOND_LINE_EXIT = "second_line_exit"
    """Zone -> mainland: releases goods from lots, taxed as imports (R7)."""
    SECOND_LINE_ENTRY = "second_line_entry"
    """Mainland -> zone: admits domestic goods."""
    IN_ZONE_TRANSFER = "in_zone_transfer"
    """To another party inside the zone (R8)."""
    RESEARCH_CONSUMPTION = "research_consumption"
    """Used up in research without forming an R&D product (R5)."""
    TRANSFORMATION = "transformation"
    """Inputs turned into an R&D product lot (R7)."""
    DESTRUCTION = "destruction"
    """Destroyed under supervision."""
    STOCKTAKE_ADJUSTMENT = "stocktake_adjustment"
    """A counted shortage (negative) or overage (positive) booked to a lot (R31)."""


#: The line and direction of each kind that crosses a line; the rest happen inside the zone.
CROSSING: dict[DeclarationKind, tuple[Line, Direction]] = {
    DeclarationKind.FIRST_LINE_ENTRY: (Line.FIRST, Direction.INBOUND),
    DeclarationKind.FIRST_LINE_EXIT: (Line.FIRST, Direction.OUTBOUND),
    DeclarationKind.SECOND_LINE_EXIT: (Line.SECOND, Direction.OUTBOUND),
    DeclarationKind.SECOND_LINE_ENTRY: (Line.SECOND, Direction.INBOUND),
}


def line_of(kind: DeclarationKind) -> Line | None:
    """The line a declaration of ``kind`` crosses; None inside the zone."""
    crossing = CROSSING.get(kind)
    return crossing[0] if crossing else None
