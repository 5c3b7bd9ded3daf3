"""Tables of `hetao.crossing`: crossing events, their decisions, rule sets, selection counters.

An event is what a gate device or an officer posted, kept verbatim with its SHA-256 so a retry
with the same device event id is recognised (and one with other content refused). Its decision
keeps the facts it was decided on, the rule set version and the seed of the random draw, so it
replays years later without reading the registry again.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hetao.engine.facts import Outcome, SubjectType
from hetao.storage.types import Base, UTCDateTime, enum_type, utcnow


class CrossingEvent(Base):
    """One crossing as posted, unique by (device, device event id)."""

    __tablename__ = "crossing_events"
    __table_args__ = (
        UniqueConstraint("device_key", "device_event_id"),
        Index("ix_crossing_events_crossing_point_occurred_at", "crossing_point", "occurred_at"),
        Index("ix_crossing_events_person_id_occurred_at", "person_id", "occurred_at"),
        Index("ix_crossing_events_party_id_occurred_at", "party_id", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: Who posted it, "device:<token id>" or "user:<user id>": the scope of device event ids.
    device_key: Mapped[str] = mapped_column(String(64))
    #: The gate token's device name or the officer's user name, for people reading the log.
    device_name: Mapped[str] = mapped_column(String(120))
    device_event_id: Mapped[str] = mapped_column(String(128))
    crossing_point: Mapped[str] = mapped_column(String(40))
    line: Mapped[str] = mapped_column(String(10))
    direction: Mapped[str] = mapped_column(String(10))
    subject_type: Mapped[SubjectType] = mapped_column(enum_type(SubjectType, name="subject_type"))
    #: The registry subject when one matched (None for an unknown traveller or plate).
    person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    vehicle_id: Mapped[int | None] = mapped_column(ForeignKey("vehicles.id"), index=True)
    declaration_id: Mapped[int | None] = mapped_column(
        ForeignKey("ledger_declarations.id"), index=True
    )
    #: The party behind the goods or the vehicle (its crossing history feeds the risk rules).
    party_id: Mapped[int | None] = mapped_column(ForeignKey("parties.id"))
    #: The body as submitted (canonical JSON) and its SHA-256: a retry must match it.
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    payload_sha256: Mapped[str] = mapped_column(String(64))
    #: When the device says it happened (UTC) ...
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    #: ... and when the server received it; skew = device time - server time.
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    clock_skew_ms: Mapped[int] = mapped_column(BigInteger)

    decision: Mapped[CrossingDecision] = relationship(back_populates="event", uselist=False)


class CrossingDecision(Base):
    """The decision on one event, with everything needed to replay it."""

    __tablename__ = "crossing_decisions"
    __table_args__ = (
        Index("ix_crossing_decisions_crossing_point_decided_at", "crossing_point", "decided_at"),
        Index("ix_crossing_decisions_outcome_decided_at", "outcome", "decided_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("crossing_events.id"), unique=True)
    #: Copied from the event: the inspection queue and the lists filter on it.
    crossing_point: Mapped[str] = mapped_column(String(40))
    outcome: Mapped[Outcome] = mapped_column(enum_type(Outcome, name="crossing_outcome"))
    lane: Mapped[str] = mapped_column(String(20))
    risk_score: Mapped[int] = mapped_column(Integer)
    rule_set_version: Mapped[str] = mapped_column(String(64), index=True)
    profile_code: Mapped[str] = mapped_column(String(40))
    #: ``decision_to_json`` pieces: reasons (code, rule, outcome, texts), the draw, the facts.
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    draw: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: The seed of the random draw (hex), HMAC of the server's selection key and the event.
    seed: Mapped[str] = mapped_column(String(64))
    #: The whole decision as ``decision_to_json`` returned it (the replay compares with it).
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    decided_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    event: Mapped[CrossingEvent] = relationship(back_populates="decision")


class RuleSet(Base):
    """A stored risk rule set: immutable once added; the latest activated one is in force."""

    __tablename__ = "rule_sets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[str] = mapped_column(String(64), unique=True)
    activates_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: SHA-256 of the canonical JSON of ``content``: the same version with other rules conflicts.
    sha256: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SelectionCounter(Base):
    """Crossings and inspections at a crossing point in one selection period (the caps)."""

    __tablename__ = "selection_counters"

    crossing_point: Mapped[str] = mapped_column(String(40), primary_key=True)
    period_start: Mapped[dt.datetime] = mapped_column(UTCDateTime(), primary_key=True)
    crossings: Mapped[int] = mapped_column(Integer, default=0)
    inspections: Mapped[int] = mapped_column(Integer, default=0)


# hetao.models imports the crossing package through this module: the other crossing tables
# register on the metadata here, last, since they may refer to the classes above.
import hetao.credentials.models  # noqa: E402
import hetao.inspections.models  # noqa: E402, F401
