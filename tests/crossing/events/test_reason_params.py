"""Crossing reasons carry the parameters their texts were rendered with, like every domain's.

A decision stored before reasons kept their parameters still replays: its texts already hold
the values, so the replay compares them without parameters.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from crossing.events.support import UNKNOWN_DOCUMENT, person_event, record
from hetao.crossing import service
from hetao.crossing.models import CrossingDecision
from hetao.profiles import ZoneProfile


def refused_unknown(session: Session, profile: ZoneProfile) -> CrossingDecision:
    """An unknown document at Channel No. 1: refused, the point named in the reason."""
    event, _ = record(session, profile, person_event(UNKNOWN_DOCUMENT))
    return event.decision


def with_params(decision: CrossingDecision) -> list[dict[str, Any]]:
    return [r for r in decision.document["reasons"] if r["params"]]


def test_a_reason_names_the_values_its_texts_were_rendered_with(
    session: Session, profile: ZoneProfile
) -> None:
    decision = refused_unknown(session, profile)
    reasons = decision.document["reasons"]
    assert all("params" in reason for reason in reasons)
    named = with_params(decision)
    assert named  # the crossing point, by name in each language, among others
    for reason in named:
        for language, text in reason["text"].items():
            for value in reason["params"].values():
                shown = value[language] if isinstance(value, dict) else str(value)
                assert shown in text, (reason["code"], language, shown, text)


def test_a_decision_stored_before_reasons_kept_their_params_replays_as_decided(
    session: Session, profile: ZoneProfile
) -> None:
    decision = refused_unknown(session, profile)
    assert service.replay(session, decision, profile=profile).matches
    document = dict(decision.document)
    document["reasons"] = [
        {key: value for key, value in reason.items() if key != "params"}
        for reason in document["reasons"]
    ]
    decision.document = document
    session.flush()
    assert service.replay(session, decision, profile=profile).matches


def test_a_changed_parameter_is_a_difference_on_replay(
    session: Session, profile: ZoneProfile
) -> None:
    decision = refused_unknown(session, profile)
    document = dict(decision.document)
    reasons = [dict(reason) for reason in document["reasons"]]
    changed = next(reason for reason in reasons if reason["params"])
    changed["params"] = {name: "elsewhere" for name in changed["params"]}
    document["reasons"] = reasons
    decision.document = document
    session.flush()
    replay = service.replay(session, decision, profile=profile)
    assert not replay.matches
    assert "reasons" in replay.differences
