"""A traveller's face match as the decision reads it: plain values, JSON round-trippable."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from hetao.engine.stored import Reader


@dataclass(frozen=True, slots=True)
class FaceFacts:
    """A 1:1 face match of a traveller with their enrolled template, as the gate presented it."""

    source: str
    """"gate": the gate's own match result; "hetao": the built-in verifier compared a probe."""
    enrolled: bool
    """The person has an enrolment with consent in force and a template within retention."""
    liveness: bool
    """The gate's liveness check passed (hetao does not check liveness itself)."""
    score: float | None
    """Similarity in [0, 1]; None where no comparison was made."""
    device: str | None = None
    model_version: str | None = None
    problem: str | None = None
    """Why no score: "no_face" in the probe, "builtin_disabled" in this zone, "not_checked"
    (no verifier where the event arrived), "model_mismatch" with the enrolled template,
    "template_unreadable" (sealed under a key this server no longer has)."""


def face_to_json(face: FaceFacts) -> dict[str, Any]:
    return dataclasses.asdict(face)


def face_from_json(r: Reader) -> FaceFacts:
    return FaceFacts(
        source=r.string("source"),
        enrolled=r.boolean("enrolled"),
        liveness=r.boolean("liveness"),
        score=r.opt_float("score"),
        device=r.opt_string("device"),
        model_version=r.opt_string("model_version"),
        problem=r.opt_string("problem"),
    )
